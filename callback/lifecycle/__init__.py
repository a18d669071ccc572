"""A request's life and its calls' lives: every status, every allowed move, in one place.

- `states`: the statuses of a request and of a call attempt (enums), with their groups;
- `transitions`: the table of moves (event: from which statuses, to which), which
  `docs/lifecycle.md` shows and a test keeps equal to the code;
- `moves`: each move as one conditional UPDATE that reports whether it happened;
- `requests`: ending a request (erasing its number) and starting its next round;
- `legs`: what a call leg's progress does to its request (both legs), and accepting;
- `intake`: a visitor asks: validate, count, store (the request's first status);
- `visitor`: what a visitor may see of their request, and withdrawing it;
- `staff`: what staff may do from a console (ring now, reschedule, retry, cancel);
- `history`: a request's timeline for staff, without any phone number;
- `sms`: the visitor's text messages (confirmation, reminder, "we tried to call you"):
  which are due, and the number a "missed" one keeps; `sms_moves`: their statuses,
  forward only;
- `work`: what a move leaves for after the commit (a dial, a hangup), by request id.

Nothing else writes a status. This file imports nothing, so `callback.models` can take
its enums from `states` without a cycle.
"""
