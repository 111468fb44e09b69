"""Key custody and cryptography for Mastery Badges."""
