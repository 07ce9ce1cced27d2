"""Call records (what happened on a call) and the stores that keep them."""
