"""The ground floor: plumbing every package may import and that imports none of them."""
