"""Live chat: a medewerker of the KCC takes over a widget conversation (issue #16)."""
