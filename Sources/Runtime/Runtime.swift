import Format
