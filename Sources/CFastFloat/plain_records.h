// The record loop of nnkit_parse_plain_numeric_records, once for every instruction set it is built
// for: parse.cpp includes this file inside a namespace per set (sse2, avx2, avx512), each under
// `#pragma clang attribute push(__attribute__((target(...))))`, so that the loop and the short-number
// parser it inlines are compiled for that set and the choice is made once per call, not per field.
// Not a header for anyone else: no include guard, no includes of its own.

/// The loop, with `Short` the short-number parser of this instruction set: a class with a
/// `static constexpr ptrdiff_t readable` (bytes that must be readable from a field's start for it
/// to be tried) and `const char *parse(const char *q, char delim, float *value)`, which returns the
/// end of a short plain number at `q` and stores its value, or nullptr for any other field (then
/// `parse_number` reads it): whatever it accepts must be exactly what `parse_number` gives.
template <class Short>
size_t plain_records(const uint8_t *bytes, size_t count, uint8_t delimiter, size_t field_count, const int32_t *slots,
                     size_t width, float *out, size_t second_width, float *second_out, size_t max_records,
                     size_t max_record_bytes, size_t *consumed) {
    const char *const begin = reinterpret_cast<const char *>(bytes);
    const char *const end = begin + count;
    const char delim = static_cast<char>(delimiter);
    const char *p = begin;
    Short short_number;
    size_t records = 0;
    while (records < max_records && p < end) {
        float *const row = out + records * width;
        // Slots from `width` on address the second output's row (nothing maps there without one).
        float *const second_row = second_out ? second_out + records * second_width : nullptr;
        const char *q = p;
        size_t field = 0;
        bool complete = false;
        for (;;) {
            if (field == field_count) break;  // more fields than expected
            if (slots[field] >= 0) {
                // A plain number: an optional '-', then a digit or a point (so no sign twice, no
                // leading space or '+', no inf/nan, which fast_float would otherwise take).
                const size_t slot = static_cast<size_t>(slots[field]);
                float *const target = slot < width ? row + slot : second_row + (slot - width);
                if (Short::readable > 0 && end - q >= Short::readable) {
                    if (const char *after = short_number.parse(q, delim, target)) {
                        q = after;  // at the delimiter or line break that the parser saw
                        goto field_end;
                    }
                }
                if (q == end) break;
                const char *lead = *q == '-' ? q + 1 : q;
                if (lead == end || !((unsigned char)(*lead - '0') < 10 || *lead == '.')) break;
                const char *after = parse_number(q, end, target);
                if (!after) break;
                q = after;
            } else {
                // A field not parsed: skipped to its end; a quote needs the general tokenizer.
                while (q < end && *q != delim && *q != '\n' && *q != '\r' && *q != '"') q++;
            }
            if (q == end) break;  // the record does not end inside the bytes given
        field_end:
            const char c = *q;
            field += 1;
            if (c == delim) { q += 1; continue; }
            // The general tokenizer's record limit: content bytes (delimiters counted, the line
            // break not) at most max_record_bytes is always within it.
            const bool short_enough = static_cast<size_t>(q - p) <= max_record_bytes;
            if (c == '\n') { q += 1; complete = field == field_count && short_enough; break; }
            if (c == '\r' && q + 1 < end && q[1] == '\n') { q += 2; complete = field == field_count && short_enough; break; }
            break;  // anything else (a lone CR, a quote, text after a number)
        }
        if (!complete) break;
        records += 1;
        p = q;
    }
    *consumed = static_cast<size_t>(p - begin);
    return records;
}
