"""Distribution: allocation (reservations), pick lists and shipments, customer returns."""
