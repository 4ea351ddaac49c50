// The JSON tree lives in Format (the HDF5 container's writer needs it too); Interop's API speaks it.
@_exported import enum Format.JSONValue
@_exported import struct Format.JSONObject
@_exported import enum Format.JSONValueError
