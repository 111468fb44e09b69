"""Async orchestration: where the pure rules meet the database, one transaction per operation.

Each function takes an ``AsyncSession`` and commits (or rolls back) itself, so a request or a CLI
command either happens whole or not at all. Authorization of *who* may call is the web layer's
(``issuer/web/auth.py``); the functions here still check *what* (a supervisor's grant, the
organisation an object belongs to), because they are also called from the CLI.
"""
