// Streaming CSV reading and writing.
