"""A data subject's rights: what is held about a number (export), removing it everywhere
(erase), and `callback privacy` (cli). Routine erasure is part of the lifecycle."""
