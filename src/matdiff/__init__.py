"""matdiff: derivatives of matrix expressions, as a textbook prints them."""
