"""The JSON API under ``/api``: one controller module per area."""
