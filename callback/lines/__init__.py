"""The phone line: callers to the company's number wait in line and may take a callback.

A caller is a CallbackRequest of channel "phone" from the moment Twilio brings their call
to the widget's Voice URL; its `created_at` is their place in line, which a callback
keeps. `calls` answers the caller's side (arriving, taking a callback, leaving); `order`
is the line itself (who is ahead, the position and the wait read out).
"""
