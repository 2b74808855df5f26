"""Strategy funds: investment pools with units, forward-priced dealing, NAV history and fees."""
