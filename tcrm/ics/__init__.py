"""Calendar feeds: the iCalendar writer and the feed server (a front end, like ``cli``).

``calendar`` turns a ``services.calendar.Feed`` into RFC 5545 bytes with the icalendar
library; ``server`` answers calendar apps over HTTP with the standard library's server.
"""
