"""Free-mail domains: an address there says who a person is, never which company.

Data, not logic: filing never matches a client by one of these domains (only by the
exact address), since thousands of unrelated people share each of them.
"""

from __future__ import annotations

FREE_MAIL_DOMAINS = frozenset(
    {
        "aim.com",
        "aol.com",
        "duck.com",
        "fastmail.com",
        "fastmail.fm",
        "gmail.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "googlemail.com",
        "hey.com",
        "hotmail.co.uk",
        "hotmail.com",
        "hotmail.de",
        "hotmail.fr",
        "icloud.com",
        "inbox.ru",
        "libero.it",
        "live.com",
        "mac.com",
        "mail.com",
        "mail.ru",
        "me.com",
        "msn.com",
        "orange.fr",
        "outlook.com",
        "outlook.de",
        "posteo.de",
        "proton.me",
        "protonmail.com",
        "qq.com",
        "rambler.ru",
        "t-online.de",
        "tutanota.com",
        "ukr.net",
        "web.de",
        "yahoo.co.uk",
        "yahoo.com",
        "yahoo.de",
        "yahoo.fr",
        "yandex.com",
        "yandex.ru",
        "ymail.com",
        "zoho.com",
    }
)


def is_free_mail(domain: str) -> bool:
    """Whether ``domain`` (or a domain it is under) is a free-mail provider's."""
    domain = domain.lower().rstrip(".")
    return any(domain == d or domain.endswith("." + d) for d in FREE_MAIL_DOMAINS)
