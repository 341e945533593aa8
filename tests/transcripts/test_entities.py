"""Entities in written (Twilio) and spoken (offline engine) transcripts: a table."""

from __future__ import annotations

import pytest

from transcripts import Entities, details_present, extract_entities


def ents(**found: list[str]) -> Entities:
    """Entities with the given lists, everything else empty."""
    return Entities(**{key: tuple(values) for key, values in found.items()})


WRITTEN = [
    (
        "His username is @darkwolf42 on snapchat, see www.example.com/abc, "
        "mail dw42@example.org, call 613-555-0142",
        ents(
            urls=["www.example.com/abc"],
            domains=["example.com"],
            emails=["dw42@example.org"],
            phone_numbers=["+16135550142"],
            handles=["darkwolf42"],
            platforms=["snapchat"],
        ),
    ),
    (
        "A man on a chat app keeps asking my daughter for photos, his name is dark wolf 42.",
        ents(handles=["darkwolf42"]),
    ),
    (
        "He sent a link: https://www.Example.com/Path?id=5.",
        ents(urls=["https://www.example.com/Path?id=5"], domains=["example.com"]),
    ),
    (
        "She found him on Instagram and TikTok; his handle is @Dark_Wolf.42",
        ents(handles=["dark_wolf.42"], platforms=["instagram", "tiktok"]),
    ),
    (
        "Call me at (416) 555-0123 or 1-800-555-0199.",
        ents(phone_numbers=["+14165550123", "+18005550199"]),
    ),
    ("Email: DW42@Example.ORG", ents(emails=["dw42@example.org"])),
    (
        "He posts on twitter.com/darkwolf and instagram.com/darkwolf",
        ents(
            urls=["twitter.com/darkwolf", "instagram.com/darkwolf"],
            domains=["twitter.com", "instagram.com"],
            platforms=["x", "instagram"],
        ),
    ),
    (
        "See b-site.net first, then a.example.ca, then b-site.net again.",
        ents(urls=["b-site.net", "a.example.ca"], domains=["b-site.net", "a.example.ca"]),
    ),
    ("He is on Facebook Messenger and Facebook.", ents(platforms=["facebook"])),
    ("Open readme.txt, e.g. in Notepad, says Mr.Smith", ents()),
    ("In 2019 2020 and 2021 he was 42.", ents()),
]

SPOKEN = [
    (
        "his name is dark wolf forty two on snapchat",
        ents(handles=["darkwolf42"], platforms=["snapchat"]),
    ),
    (
        "w w w dot example dot com slash abc",
        ents(urls=["www.example.com/abc"], domains=["example.com"]),
    ),
    ("dark wolf four two at example dot org", ents(emails=["darkwolf42@example.org"])),
    ("six one three five five five zero one four two", ents(phone_numbers=["+16135550142"])),
    (
        "call one eight hundred five five five oh one nine nine",
        ents(phone_numbers=["+18005550199"]),
    ),
    ("his email is john dot smith at gmail dot com", ents(emails=["john.smith@gmail.com"])),
    ("write to shadow king at example dot net", ents(emails=["shadowking@example.net"])),
    ("mail d w four two at example dot org", ents(emails=["dw42@example.org"])),
    ("dark underscore wolf at sign example dot ca", ents(emails=["dark_wolf@example.ca"])),
    (
        "double u double u double u dot my dash site dot co dot uk",
        ents(urls=["www.my-site.co.uk"], domains=["my-site.co.uk"]),
    ),
    (
        "h t t p s colon slash slash example dot com slash page dot html",
        ents(urls=["https://example.com/page.html"], domains=["example.com"]),
    ),
    (
        "his user name is dark underscore wolf on insta",
        ents(handles=["dark_wolf"], platforms=["instagram"]),
    ),
    (
        "a guy called shadow king on roblox and fortnite",
        ents(handles=["shadowking"], platforms=["roblox", "fortnite"]),
    ),
    (
        "his gamertag is night hawk nine on xbox live",
        ents(handles=["nighthawk9"], platforms=["xbox"]),
    ),
    ("username dark wolf", ents(handles=["darkwolf"])),
    ("his name is, um, dark wolf", ents(handles=["darkwolf"])),
    ("her friend's username was cool girl two thousand", ents(handles=["coolgirl2000"])),
    (
        "he asked her to add him, called dark wolf, on snap chat",
        ents(handles=["darkwolf"], platforms=["snapchat"]),
    ),
    ("at sign dark wolf on tik tok", ents(handles=["darkwolf"], platforms=["tiktok"])),
    (
        "t dot me slash darkwolf",
        ents(urls=["t.me/darkwolf"], domains=["t.me"], platforms=["telegram"]),
    ),
    ("he sent it from x dot com", ents(urls=["x.com"], domains=["x.com"], platforms=["x"])),
    ("we talk on signal and on snap", ents(platforms=["signal", "snapchat"])),
    (
        "his name is dark wolf forty two and he is on discord",
        ents(handles=["darkwolf42"], platforms=["discord"]),
    ),
    (
        "he posted pictures at example dot com",  # no e-mail context: a site, not an address
        ents(urls=["example.com"], domains=["example.com"]),
    ),
]

NEGATIVE = [
    "I was at home",
    "call me back",
    "the dot on the map",
    "a dot com company",
    "the signal was bad",
    "he called me yesterday and then I called the police",
    "my daughter is twelve and he is forty two",
    "it happened a fortnight ago",
    "x marks the spot",
    "we met at school dot",
    "in twenty nineteen and twenty twenty",
    "oh no he said oh",
    "I can't handle it anymore",
    "he keeps asking her to snap out of it",
    "she was at the mall at three",
]


@pytest.mark.parametrize(("text", "expected"), WRITTEN + SPOKEN)
def test_entities(text: str, expected: Entities) -> None:
    assert extract_entities(text) == expected


@pytest.mark.parametrize("text", NEGATIVE)
def test_ordinary_prose_has_no_entities(text: str) -> None:
    assert extract_entities(text) == Entities()


def test_a_game_called_minecraft_is_a_platform_not_a_handle() -> None:
    assert extract_entities("an app called wizz and a game called minecraft") == ents(
        platforms=["wizz", "minecraft"]
    )


def test_written_and_spoken_forms_of_the_same_things_agree() -> None:
    written = extract_entities(
        "His username is darkwolf42 on Snapchat, email darkwolf42@example.org, "
        "site www.example.com/abc, number 613-555-0142."
    )
    spoken = extract_entities(
        "his username is dark wolf forty two on snapchat email dark wolf four two at "
        "example dot org site w w w dot example dot com slash abc number six one three "
        "five five five zero one four two"
    )
    assert written == spoken


def test_to_dict_gives_lists_in_report_order() -> None:
    found = extract_entities("@darkwolf42 on kik, darkwolf.example.com/x, 613-555-0142")
    assert found.to_dict() == {
        "urls": ["darkwolf.example.com/x"],
        "domains": ["darkwolf.example.com"],
        "emails": [],
        "phone_numbers": ["+16135550142"],
        "handles": ["darkwolf42"],
        "platforms": ["kik"],
    }
    assert list(found.to_dict()) == [
        "urls", "domains", "emails", "phone_numbers", "handles", "platforms"
    ]  # fmt: skip


def test_phone_numbers_use_the_region_for_local_numbers() -> None:
    assert extract_entities("020 7946 0958", region="GB").phone_numbers == ("+442079460958",)
    assert extract_entities("+44 20 7946 0958").phone_numbers == ("+442079460958",)


def test_no_phone_number_inside_an_address() -> None:
    found = extract_entities("6135550142@example.com and example.com/6135550142")
    assert found.phone_numbers == ()
    assert found.emails == ("6135550142@example.com",)


@pytest.mark.parametrize(
    ("found", "present"),
    [
        (ents(), False),
        (ents(platforms=["snapchat"]), False),
        (ents(domains=["example.com"]), False),
        (ents(urls=["example.com"], domains=["example.com"]), True),
        (ents(emails=["a@example.com"]), True),
        (ents(phone_numbers=["+16135550142"]), True),
        (ents(handles=["darkwolf42"]), True),
    ],
)
def test_details_present(found: Entities, present: bool) -> None:
    assert details_present(found) is present


def test_extraction_is_deterministic() -> None:
    text = SPOKEN[0][0] + " " + WRITTEN[0][0]
    assert len({extract_entities(text) for _ in range(5)}) == 1
