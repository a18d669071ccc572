"""Visitor numbers: which are accepted (policy), their keyed hashes (hashing), and
masking anything number-shaped in free text (masking)."""
