"""The discharge bundle 军人退役一件事: one application fanned out into matters, each tracked to done."""
