"""Open Badges 3.0 credential format and verification, pure and synchronous."""
