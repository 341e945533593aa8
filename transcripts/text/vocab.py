"""Word lists shared by the spoken-form rules."""

from __future__ import annotations


def word_set(text: str) -> frozenset[str]:
    """The white-space separated words of ``text``."""
    return frozenset(text.split())


# Words that are never part of a spoken address, e-mail or handle: a name, an address
# or a handle ends (or has not started yet) where one of these is said.
FUNCTION_WORDS: frozenset[str] = word_set(
    """
    a an the this that these those some any every each all no not
    i me my mine you your yours he him his she her hers it its it's we us our they them
    their theirs myself himself herself themselves someone somebody something anyone
    and or but so because if then than when while where who whom whose which what why how
    on in at to of for from with by about into onto over under through via as like
    is was are were be been being am has have had do does did will would can could
    should shall may might must not don't doesn't didn't isn't wasn't
    there here also too just very really again back now then yes no okay ok
    um uh ah er hmm oh well
    """
)

# Things said around an e-mail address: "his email is ...", "write to ...".
EMAIL_CONTEXT: frozenset[str] = word_set(
    """
    email e-mail emails mail mailed emailed address inbox gmail hotmail outlook yahoo
    wrote write writes writing contact contacted
    """
)

# Mail services: "X at gmail dot com" is an e-mail with no other hint.
MAIL_DOMAINS: frozenset[str] = word_set(
    """
    gmail.com googlemail.com hotmail.com hotmail.ca outlook.com live.com live.ca msn.com
    yahoo.com yahoo.ca ymail.com icloud.com me.com mac.com aol.com protonmail.com
    proton.me pm.me gmx.com gmx.net mail.com yandex.com yandex.ru zoho.com tutanota.com
    videotron.ca sympatico.ca bell.net rogers.com shaw.ca telus.net
    """
)
