"""The Mastery Badges service and the `badges` command."""
