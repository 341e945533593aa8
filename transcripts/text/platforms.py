"""Named platforms: a table of names, the ways callers (and engines) say them, their domains.

``aliases`` match anywhere; ``contextual`` aliases are ordinary words too ("signal",
"steam", "snap") and match only in a messaging context: after "on", "via", "through",
"using"..., or before "app", "account", "messages"... X is only "twitter" or its domain:
a lone "x" is far too common.
"""

from __future__ import annotations

from dataclasses import dataclass

from transcripts.text.tokens import Token
from transcripts.text.vocab import word_set


@dataclass(frozen=True, slots=True)
class Platform:
    """One platform: ``id`` is what reports carry (lower case, stable)."""

    id: str
    aliases: tuple[str, ...] = ()
    contextual: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()


PLATFORMS: tuple[Platform, ...] = (
    Platform("snapchat", ("snapchat", "snap chat"), ("snap",), ("snapchat.com",)),
    Platform("instagram", ("instagram", "insta gram", "insta"), ("ig",), ("instagram.com",)),
    Platform("tiktok", ("tiktok", "tik tok"), ("tick tock", "tic toc"), ("tiktok.com",)),
    Platform("discord", ("discord",), (), ("discord.com", "discord.gg", "discordapp.com")),
    Platform("roblox", ("roblox", "rob lox"), (), ("roblox.com",)),
    Platform("minecraft", ("minecraft", "mine craft"), (), ("minecraft.net",)),
    Platform("fortnite", ("fortnite",), ("fortnight", "fort night"), ("fortnite.com",)),
    Platform("whatsapp", ("whatsapp", "whats app", "what's app"), (), ("whatsapp.com", "wa.me")),
    Platform(
        "facebook",
        ("facebook", "face book", "messenger", "facebook messenger"),
        ("fb",),
        ("facebook.com", "fb.com", "messenger.com", "m.me"),
    ),
    Platform("telegram", ("telegram",), (), ("telegram.org", "t.me")),
    Platform("kik", ("kik",), (), ("kik.com", "kik.me")),
    Platform("omegle", ("omegle",), (), ("omegle.com",)),
    Platform("reddit", ("reddit",), (), ("reddit.com", "redd.it")),
    Platform("x", ("twitter",), (), ("x.com", "twitter.com", "t.co")),
    Platform("youtube", ("youtube", "you tube"), (), ("youtube.com", "youtu.be")),
    Platform("twitch", (), ("twitch",), ("twitch.tv",)),
    Platform("wickr", ("wickr",), ("wicker",), ("wickr.com",)),
    Platform("signal", (), ("signal",), ("signal.org",)),
    Platform("wizz", ("wizz",), ("wiz",), ("wizz.chat",)),
    Platform("yubo", ("yubo", "you bo"), (), ("yubo.live",)),
    Platform("steam", (), ("steam",), ("steampowered.com", "steamcommunity.com")),
    Platform("xbox", ("xbox", "x box", "xbox live"), (), ("xbox.com",)),
    Platform("playstation", ("playstation", "play station", "psn"), (), ("playstation.com",)),
    Platform("skype", ("skype",), (), ("skype.com",)),
    Platform("viber", ("viber",), (), ("viber.com",)),
    Platform("wechat", ("wechat", "we chat"), (), ("wechat.com",)),
    Platform("vrchat", ("vrchat", "vr chat"), (), ("vrchat.com",)),
    Platform("pinterest", ("pinterest",), (), ("pinterest.com",)),
    Platform("tumblr", ("tumblr",), ("tumbler",), ("tumblr.com",)),
    Platform("onlyfans", ("onlyfans", "only fans"), (), ("onlyfans.com",)),
    Platform("threads", (), ("threads",), ("threads.net",)),
    Platform("tinder", ("tinder",), (), ("tinder.com",)),
    Platform("grindr", ("grindr",), ("grinder",), ("grindr.com",)),
    Platform("hoop", (), ("hoop",), ()),
    Platform("monkey", ("monkey app",), (), ("monkey.app",)),
    Platform("chatroulette", ("chatroulette", "chat roulette"), (), ("chatroulette.com",)),
    Platform("imessage", ("imessage", "i message"), (), ()),
    Platform("facetime", ("facetime", "face time"), (), ()),
    Platform("zoom", (), ("zoom",), ("zoom.us",)),
    Platform("line", (), (), ("line.me",)),
)

# Messaging context for contextual aliases: the word before, or the word after.
_BEFORE = frozenset({"on", "via", "through", "using", "use", "uses", "used", "over", "onto"})
_AFTER = word_set(
    """
    app apps account accounts messenger chat chats username user handle profile server
    group groups message messages dm dms
    """
)


def _phrases() -> list[tuple[tuple[str, ...], str, bool]]:
    """(words, platform id, contextual), longest phrase first."""
    table = [
        (tuple(alias.split()), platform.id, contextual)
        for platform in PLATFORMS
        for aliases, contextual in ((platform.aliases, False), (platform.contextual, True))
        for alias in aliases
    ]
    return sorted(table, key=lambda row: -len(row[0]))


_PHRASES = _phrases()
_BY_DOMAIN = {domain: p.id for p in PLATFORMS for domain in p.domains}


def find_platforms(tokens: list[Token]) -> list[tuple[int, str]]:
    """``(token index, platform id)`` for each platform named in ``tokens``, in order."""
    found: list[tuple[int, str]] = []
    words = [_bare(token.low) for token in tokens]
    i = 0
    while i < len(tokens):
        size, platform = _match(tokens, words, i)
        if platform:
            found.append((i, platform))
            i += size
        else:
            i += 1
    return found


def platform_of_host(host: str) -> str | None:
    """The platform a host belongs to: ``www.instagram.com`` -> ``instagram``."""
    host = host.lower().removeprefix("www.")
    while host:
        if host in _BY_DOMAIN:
            return _BY_DOMAIN[host]
        _, _, host = host.partition(".")
    return None


def _bare(word: str) -> str:
    return word.removesuffix("'s").removesuffix("\u2019s")


def _match(tokens: list[Token], words: list[str], i: int) -> tuple[int, str | None]:
    for phrase, platform, contextual in _PHRASES:
        end = i + len(phrase)
        if tuple(words[i:end]) != phrase or any(t.pause for t in tokens[i : end - 1]):
            continue
        if contextual and not _in_context(tokens, words, i, end):
            continue
        return len(phrase), platform
    return 0, None


def _in_context(tokens: list[Token], words: list[str], start: int, end: int) -> bool:
    before = start > 0 and words[start - 1] in _BEFORE and not tokens[start - 1].pause
    after = end < len(words) and words[end] in _AFTER and not tokens[end - 1].pause
    return before or after
