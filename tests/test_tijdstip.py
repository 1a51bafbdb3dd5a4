"""Dutch time expressions of when an incident happened (core.dutch.tijdstip)."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from core.dutch.tijdstip import Tijdstip, is_terugkerend, parse_tijdstip, weet_niet

AMS = ZoneInfo("Europe/Amsterdam")
# Sunday 22 November 2026, 14:30.
NOW = datetime(2026, 11, 22, 14, 30, tzinfo=AMS)


def at(text: str, now: datetime = NOW) -> Tijdstip:
    result = parse_tijdstip(text, now)
    assert result is not None, text
    return result


def moment(result: Tijdstip) -> str:
    return result.start.strftime("%Y-%m-%d %H:%M")


def utc(value: datetime) -> datetime:
    return value.astimezone(timezone.utc)


# (text, expected start, expected precisie)
CASES = [
    # now-ish
    ("nu", "2026-11-22 14:30", "minuut"),
    ("net", "2026-11-22 14:30", "minuut"),
    ("zojuist", "2026-11-22 14:30", "minuut"),
    ("Zonet!", "2026-11-22 14:30", "minuut"),
    ("daarnet", "2026-11-22 14:30", "minuut"),
    ("het gebeurt nu", "2026-11-22 14:30", "minuut"),
    ("op dit moment", "2026-11-22 14:30", "minuut"),
    ("net nog", "2026-11-22 14:30", "minuut"),
    # days
    ("vandaag", "2026-11-22 00:00", "dag"),
    ("gisteren", "2026-11-21 00:00", "dag"),
    ("gister", "2026-11-21 00:00", "dag"),
    ("Gisteren.", "2026-11-21 00:00", "dag"),
    ("eergisteren", "2026-11-20 00:00", "dag"),
    ("eer gisteren", "2026-11-20 00:00", "dag"),
    ("ergisteren", "2026-11-20 00:00", "dag"),
    # dagdelen
    ("gisteravond", "2026-11-21 18:00", "dagdeel"),
    ("gister avond", "2026-11-21 18:00", "dagdeel"),
    ("gisteren avond", "2026-11-21 18:00", "dagdeel"),
    ("gisterenavond", "2026-11-21 18:00", "dagdeel"),
    ("gistravond", "2026-11-21 18:00", "dagdeel"),
    ("gisteraavond", "2026-11-21 18:00", "dagdeel"),
    ("GISTERAVOND!!!", "2026-11-21 18:00", "dagdeel"),
    ("gistermiddag", "2026-11-21 12:00", "dagdeel"),
    ("gisterochtend", "2026-11-21 06:00", "dagdeel"),
    ("gistermorgen", "2026-11-21 06:00", "dagdeel"),
    ("eergisteravond", "2026-11-20 18:00", "dagdeel"),
    ("gisteren in de middag", "2026-11-21 12:00", "dagdeel"),
    ("gisteren ergens in de middag", "2026-11-21 12:00", "dagdeel"),
    ("gisteren laat op de avond", "2026-11-21 18:00", "dagdeel"),
    ("vanochtend", "2026-11-22 06:00", "dagdeel"),
    ("vanochtend vroeg", "2026-11-22 06:00", "dagdeel"),
    ("vanmorgen", "2026-11-22 06:00", "dagdeel"),
    ("van morgen", "2026-11-22 06:00", "dagdeel"),
    ("vanmorgend", "2026-11-22 06:00", "dagdeel"),
    ("vanmiddag", "2026-11-22 12:00", "dagdeel"),
    ("vanmidag", "2026-11-22 12:00", "dagdeel"),
    ("vannacht", "2026-11-22 00:00", "dagdeel"),
    ("van nacht", "2026-11-22 00:00", "dagdeel"),
    ("afgelopen nacht", "2026-11-22 00:00", "dagdeel"),
    ("gisternacht", "2026-11-22 00:00", "dagdeel"),
    ("in de nacht van zaterdag op zondag", "2026-11-22 00:00", "dagdeel"),
    ("in de nacht van 20 op 21 november", "2026-11-21 00:00", "dagdeel"),
    ("'s avonds", "2026-11-21 18:00", "dagdeel"),
    ("s nachts", "2026-11-22 00:00", "dagdeel"),
    ("'s ochtends", "2026-11-22 06:00", "dagdeel"),
    ("in de middag", "2026-11-22 12:00", "dagdeel"),
    # weekdays: the most recent such day (today is Sunday 22 November)
    ("maandag", "2026-11-16 00:00", "dag"),
    ("op maandag", "2026-11-16 00:00", "dag"),
    ("zaterdag", "2026-11-21 00:00", "dag"),
    ("afgelopen zaterdag", "2026-11-21 00:00", "dag"),
    ("zaterdg", "2026-11-21 00:00", "dag"),
    ("vrijdag", "2026-11-20 00:00", "dag"),
    ("Donderdag", "2026-11-19 00:00", "dag"),
    ("afgelopen woensdag", "2026-11-18 00:00", "dag"),
    ("zondag", "2026-11-22 00:00", "dag"),
    ("afgelopen zondag", "2026-11-15 00:00", "dag"),
    ("vorige zondag", "2026-11-15 00:00", "dag"),
    ("vorige week dinsdag", "2026-11-10 00:00", "dag"),
    ("dinsdag vorige week", "2026-11-10 00:00", "dag"),
    ("vorige week op vrijdag", "2026-11-13 00:00", "dag"),
    ("woensdagmiddag", "2026-11-18 12:00", "dagdeel"),
    ("zaterdagavond", "2026-11-21 18:00", "dagdeel"),
    ("zaterdag avond", "2026-11-21 18:00", "dagdeel"),
    ("vrijdagnacht", "2026-11-21 00:00", "dagdeel"),
    # weeks and weekends
    ("vorige week", "2026-11-09 00:00", "dag"),
    ("vorig weekend", "2026-11-14 00:00", "dag"),
    ("in het weekend", "2026-11-21 00:00", "dag"),
    ("afgelopen weekend", "2026-11-21 00:00", "dag"),
    ("dit weekend", "2026-11-21 00:00", "dag"),
    ("deze week", "2026-11-16 00:00", "dag"),
    # explicit dates
    ("12 november", "2026-11-12 00:00", "dag"),
    ("op 12 november", "2026-11-12 00:00", "dag"),
    ("12 nov", "2026-11-12 00:00", "dag"),
    ("12 nov.", "2026-11-12 00:00", "dag"),
    ("12e november", "2026-11-12 00:00", "dag"),
    ("12-11", "2026-11-12 00:00", "dag"),
    ("12/11", "2026-11-12 00:00", "dag"),
    ("12/11/2026", "2026-11-12 00:00", "dag"),
    ("12-11-2026", "2026-11-12 00:00", "dag"),
    ("12.11.2026", "2026-11-12 00:00", "dag"),
    ("12-11-26", "2026-11-12 00:00", "dag"),
    ("2026-11-12", "2026-11-12 00:00", "dag"),
    ("3 oktober", "2026-10-03 00:00", "dag"),
    ("1 novmber", "2026-11-01 00:00", "dag"),
    ("23 november", "2025-11-23 00:00", "dag"),  # not yet this year: last year
    ("31 december 2025", "2025-12-31 00:00", "dag"),
    ("de 15e", "2026-11-15 00:00", "dag"),
    # clock times without a day: their most recent past occurrence
    ("rond 11 uur", "2026-11-22 11:00", "uur"),
    ("om 11 uur", "2026-11-22 11:00", "uur"),
    ("om 23:15", "2026-11-21 23:15", "minuut"),
    ("23.15", "2026-11-21 23:15", "minuut"),
    ("23:15 uur", "2026-11-21 23:15", "minuut"),
    ("om 22u30", "2026-11-21 22:30", "minuut"),
    ("om 14:00", "2026-11-22 14:00", "minuut"),
    ("om 15", "2026-11-21 15:00", "uur"),
    ("half 10", "2026-11-22 09:30", "minuut"),
    ("om half tien", "2026-11-22 09:30", "minuut"),
    ("kwart over 9", "2026-11-22 09:15", "minuut"),
    ("kwart voor 8", "2026-11-22 07:45", "minuut"),
    ("tien over half 3", "2026-11-22 02:40", "minuut"),
    ("vijf voor half 4", "2026-11-22 03:25", "minuut"),
    ("tien over negen", "2026-11-22 09:10", "minuut"),
    ("11 uur 's avonds", "2026-11-21 23:00", "uur"),
    ("11 uur savonds", "2026-11-21 23:00", "uur"),
    ("om 11 uur sávonds", "2026-11-21 23:00", "uur"),
    ("11uur s avonds", "2026-11-21 23:00", "uur"),
    ("'s nachts om 2 uur", "2026-11-22 02:00", "uur"),
    ("snachts om 2 uur", "2026-11-22 02:00", "uur"),
    ("om 3 uur 's middags", "2026-11-21 15:00", "uur"),  # 15:00 today is still to come
    ("elf uur", "2026-11-22 11:00", "uur"),
    ("twaalf uur", "2026-11-22 12:00", "uur"),
    ("om een uur", "2026-11-22 13:00", "uur"),
    ("het was elf uur geloof ik", "2026-11-22 11:00", "uur"),
    ("'s avonds rond elven", "2026-11-21 23:00", "uur"),
    ("rond middernacht", "2026-11-22 00:00", "uur"),
    ("het was rond twaalf uur 's nachts", "2026-11-22 00:00", "uur"),
    # combined day and time
    ("gisteravond rond 11 uur", "2026-11-21 23:00", "uur"),
    ("gisteravond rond 11uur", "2026-11-21 23:00", "uur"),
    ("gister avond om 11 uur", "2026-11-21 23:00", "uur"),
    ("Gisteren avond om 11 uur", "2026-11-21 23:00", "uur"),
    ("rond half elf gisteravond", "2026-11-21 22:30", "minuut"),
    ("gisteravond om half 11", "2026-11-21 22:30", "minuut"),
    ("gisteravond 23:15", "2026-11-21 23:15", "minuut"),
    ("gisteravond om 23.15", "2026-11-21 23:15", "minuut"),
    ("gisteravond rond elf uur", "2026-11-21 23:00", "uur"),
    ("elf uur gisteravond", "2026-11-21 23:00", "uur"),
    ("een uur of elf gisteravond", "2026-11-21 23:00", "uur"),
    ("gisteravond tegen 12 uur", "2026-11-22 00:00", "uur"),
    ("5 voor 12 gisteravond", "2026-11-21 23:55", "minuut"),
    ("tussen 10 en 11 uur gisteravond", "2026-11-21 22:00", "uur"),
    ("tussen 10-11 uur gisteravond", "2026-11-21 22:00", "uur"),
    ("gisteren rond 8 uur 's avonds", "2026-11-21 20:00", "uur"),
    ("gisteren om 3 uur", "2026-11-21 15:00", "uur"),
    ("gisteren om 8 uur", "2026-11-21 08:00", "uur"),
    ("om 11 uur gisteren", "2026-11-21 11:00", "uur"),
    ("22:30 gisteren", "2026-11-21 22:30", "minuut"),
    ("om een uur of 3 gistermiddag", "2026-11-21 15:00", "uur"),
    ("gistermiddag om 4 uur", "2026-11-21 16:00", "uur"),
    ("gisterochtend om kwart over 8", "2026-11-21 08:15", "minuut"),
    ("vanochtend om 7 uur", "2026-11-22 07:00", "uur"),
    ("vanmorgen om kwart over 8", "2026-11-22 08:15", "minuut"),
    ("ik denk een uur of 9 vanochtend", "2026-11-22 09:00", "uur"),
    ("om achten vanochtend", "2026-11-22 08:00", "uur"),
    ("vandaag om 9 uur", "2026-11-22 09:00", "uur"),
    ("vandaag om 2 uur", "2026-11-22 14:00", "uur"),
    ("vannacht om 2 uur", "2026-11-22 02:00", "uur"),
    ("vannacht rond 3uur", "2026-11-22 03:00", "uur"),
    ("vannacht om 11 uur", "2026-11-21 23:00", "uur"),
    ("vijf over half twee vannacht", "2026-11-22 01:35", "minuut"),
    ("Gister nacht om 3 uur", "2026-11-22 03:00", "uur"),
    ("gisteren 's nachts om 2 uur", "2026-11-21 02:00", "uur"),
    ("vrijdag om half 12 's nachts", "2026-11-20 23:30", "minuut"),
    ("12 november om 2 uur 's nachts", "2026-11-12 02:00", "uur"),
    ("in de nacht van vrijdag op zaterdag om 2 uur", "2026-11-21 02:00", "uur"),
    ("zaterdagavond rond 10", "2026-11-21 22:00", "uur"),
    ("zaterdag avond rond 10 uur", "2026-11-21 22:00", "uur"),
    ("vrijdagnacht om 3 uur", "2026-11-21 03:00", "uur"),
    ("zondagochtend om 10 uur", "2026-11-22 10:00", "uur"),
    ("woensdag middag om 4 uur", "2026-11-18 16:00", "uur"),
    ("afgelopen vrijdag rond een uur of 10 's avonds", "2026-11-20 22:00", "uur"),
    ("vorige week woensdag om 8 uur s avonds", "2026-11-11 20:00", "uur"),
    ("vorige week maandag rond 6 uur 's ochtends", "2026-11-09 06:00", "uur"),
    ("zaterdag 21 november om 22.30", "2026-11-21 22:30", "minuut"),
    ("vrijdag 20 nov om 23u", "2026-11-20 23:00", "uur"),
    ("12 november om 23:15", "2026-11-12 23:15", "minuut"),
    ("15-11 om 20:00", "2026-11-15 20:00", "minuut"),
    ("12/11/2026 rond 9 uur 's avonds", "2026-11-12 21:00", "uur"),
    # relative
    ("10 minuten geleden", "2026-11-22 14:20", "minuut"),
    ("tien minuten geleden", "2026-11-22 14:20", "minuut"),
    ("een kwartier geleden", "2026-11-22 14:15", "minuut"),
    ("een half uur geleden", "2026-11-22 14:00", "minuut"),
    ("2 uur geleden", "2026-11-22 12:30", "uur"),
    ("een uur geleden", "2026-11-22 13:30", "uur"),
    ("2 dagen geleden", "2026-11-20 00:00", "dag"),
    ("een week geleden", "2026-11-15 00:00", "dag"),
    # in a sentence
    ("het gebeurde gisteravond rond een uur of 11", "2026-11-21 23:00", "uur"),
    ("ik zag het gisteren rond 11 uur 's avonds bij het veldje", "2026-11-21 23:00", "uur"),
    ("dat was afgelopen zaterdag rond half 12 snachts", "2026-11-21 23:30", "minuut"),
    ("volgens mij vrijdag", "2026-11-20 00:00", "dag"),
    ("eergisteren om kwart voor 10 's avonds", "2026-11-20 21:45", "minuut"),
    ("gisteren tussen de middag", "2026-11-21 12:00", "uur"),
]


@pytest.mark.parametrize(("text", "start", "precisie"), CASES)
def test_parse(text: str, start: str, precisie: str) -> None:
    result = at(text)
    assert (moment(result), result.precisie) == (start, precisie)


@pytest.mark.parametrize(("text", "start", "precisie"), CASES)
def test_never_in_the_future_and_tz_aware(text: str, start: str, precisie: str) -> None:
    result = at(text)
    assert result.start <= NOW
    assert result.start.tzinfo is not None
    assert result.tekst


def test_never_in_the_future_at_any_hour() -> None:
    """Every phrasing, at every third hour of a week and around both DST changes."""
    nows = [datetime(2026, 11, 16 + d, h, 7, tzinfo=AMS) for d in range(7) for h in range(0, 24, 3)]
    nows += [
        datetime(2026, m, d, h, 30, tzinfo=AMS) for m, d in ((3, 29), (10, 25)) for h in range(5)
    ]
    nows.append(datetime(2027, 1, 1, 0, 5, tzinfo=AMS))
    for now in nows:
        for text, _, _ in CASES:
            result = parse_tijdstip(text, now)
            # In UTC: datetimes of one zone compare by their digits, blind to clock changes.
            assert result is None or utc(result.start) <= utc(now), (text, now, result)


@pytest.mark.parametrize(
    ("text", "tekst"),
    [
        ("gisteravond rond 11 uur", "gisteren (21 november) rond 23:00"),
        ("vanochtend", "vandaag in de ochtend"),
        ("maandag", "maandag 16 november"),
        ("om 23:15", "gisteren (21 november) om 23:15"),
        ("eergisteren", "eergisteren (20 november)"),
        ("vannacht", "afgelopen nacht (van 21 op 22 november)"),
        ("in de nacht van 20 op 21 november", "in de nacht van 20 op 21 november"),
        ("vorige week", "vorige week (9 t/m 15 november)"),
        ("in het weekend", "afgelopen weekend (21 en 22 november)"),
        ("23 november", "zondag 23 november 2025"),
        ("vandaag", "vandaag"),
        ("nu", "vandaag om 14:30"),
        ("zaterdagavond", "gisteren (21 november) in de avond"),
    ],
)
def test_tekst(text: str, tekst: str) -> None:
    assert at(text).tekst == tekst


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "weet ik niet",
        "geen idee",
        "de lantaarnpaal bij de ingang van het park is kapot",
        "er ligt troep op straat",
        "ik heb twee uur gewacht",
        "de lamp is al 2 uur uit",
        "morgen",
        "volgende week",
        "over 2 uur",
        "bij nummer 12",
        "er waren 3 jongeren",
        "ok",
        "ja",
    ],
)
def test_no_time(text: str) -> None:
    assert parse_tijdstip(text, NOW) is None


@pytest.mark.parametrize(
    "text",
    [
        "vanavond",  # 14:30: the evening has not started
        "vanmiddag om 3 uur",  # 15:00 is later than 14:30
        "vandaag om 16 uur",
        "12 november 2027",
        "31 februari",
    ],
)
def test_future_or_impossible_is_none(text: str) -> None:
    assert parse_tijdstip(text, NOW) is None


def test_vanmiddag_after_the_fact() -> None:
    later = datetime(2026, 11, 22, 16, 0, tzinfo=AMS)
    assert moment(at("vanmiddag om 3 uur", later)) == "2026-11-22 15:00"
    assert moment(at("vanavond", datetime(2026, 11, 22, 21, 0, tzinfo=AMS))) == "2026-11-22 18:00"


def test_clock_time_later_than_now_means_yesterday() -> None:
    morning = datetime(2026, 11, 22, 9, 0, tzinfo=AMS)
    result = at("om 11 uur", morning)
    assert result.start.date().isoformat() == "2026-11-21"
    assert moment(result) == "2026-11-21 23:00"  # the most recent 11 o'clock
    assert moment(at("om 10:30", morning)) == "2026-11-21 22:30"
    assert moment(at("gisteren om 10:30", morning)) == "2026-11-21 10:30"
    assert moment(at("'s nachts om 2 uur", datetime(2026, 11, 22, 1, 0, tzinfo=AMS))) == (
        "2026-11-21 02:00"
    )


def test_vannacht_after_two() -> None:
    for hour in (3, 8, 14, 23):
        now = datetime(2026, 11, 22, hour, 0, tzinfo=AMS)
        assert moment(at("vannacht om 2 uur", now)) == "2026-11-22 02:00"


def test_weekday_same_as_today_with_later_time_goes_back_a_week() -> None:
    assert moment(at("zondag om 20:00")) == "2026-11-15 20:00"


def test_weekend_on_a_weekday() -> None:
    wednesday = datetime(2026, 11, 18, 12, 0, tzinfo=AMS)
    assert moment(at("in het weekend", wednesday)) == "2026-11-14 00:00"
    assert moment(at("zaterdagavond", wednesday)) == "2026-11-14 18:00"


def test_date_across_new_year() -> None:
    january = datetime(2027, 1, 3, 10, 0, tzinfo=AMS)
    result = at("30 december", january)
    assert moment(result) == "2026-12-30 00:00"
    assert result.tekst == "woensdag 30 december 2026"
    assert moment(at("gisteren", january)) == "2027-01-02 00:00"


def test_timezone_and_dst() -> None:
    # Summer time ends on 25 October 2026 at 03:00.
    now = datetime(2026, 10, 25, 12, 0, tzinfo=AMS)
    result = at("gisteravond om 23:00", now)
    assert result.start.utcoffset().total_seconds() == 2 * 3600
    assert at("vanochtend om 9 uur", now).start.utcoffset().total_seconds() == 3600


def test_nu_at_a_fixed_moment_keeps_the_local_offset() -> None:
    result = at("nu net", datetime(2026, 11, 21, 16, 4, 31, tzinfo=AMS))
    assert result.start.isoformat() == "2026-11-21T16:04:00+01:00"
    assert result.tekst == "vandaag om 16:04"


def test_now_in_another_zone_is_read_in_the_municipality_s() -> None:
    """A server clock in UTC must not move "gisteravond" or "om 23 uur" by an hour."""
    now = datetime(2026, 11, 21, 23, 30, tzinfo=timezone.utc)  # 00:30 on the 22nd in NL
    assert at("nu", now).start.isoformat() == "2026-11-22T00:30:00+01:00"
    assert at("gisteravond om 23 uur", now).start.isoformat() == "2026-11-21T23:00:00+01:00"


def test_spring_forward() -> None:
    """Summer time starts on 29 March 2026: 02:00 winter time becomes 03:00 summer time."""
    morning = datetime(2026, 3, 29, 9, 0, tzinfo=AMS)
    assert at("gisteravond om 23 uur", morning).start.isoformat() == "2026-03-28T23:00:00+01:00"
    assert at("vanochtend om 8 uur", morning).start.isoformat() == "2026-03-29T08:00:00+02:00"
    # 02:30 never showed on a clock that day: it is read on the clock before the change.
    skipped = at("vannacht om half 3", morning)
    assert skipped.start.isoformat() == "2026-03-29T03:30:00+02:00"
    assert utc(skipped.start) == datetime(2026, 3, 29, 1, 30, tzinfo=timezone.utc)
    # Ten real minutes before 03:05 summer time is 01:55 winter time.
    just_after = datetime(2026, 3, 29, 3, 5, tzinfo=AMS)
    assert at("10 minuten geleden", just_after).start.isoformat() == "2026-03-29T01:55:00+01:00"


def test_fall_back_the_hour_that_happens_twice() -> None:
    """Summer time ends on 25 October 2026: 02:00-03:00 happens first at +02:00, then at +01:00.

    The rule is the parser's rule for every clock time: its most recent past occurrence.
    """
    morning = datetime(2026, 10, 25, 9, 0, tzinfo=AMS)
    assert at("vannacht om half 3", morning).start.isoformat() == "2026-10-25T02:30:00+01:00"
    # Asked during the first 02:45 (summer time): only the first 02:30 has happened.
    first_pass = datetime(2026, 10, 25, 2, 45, tzinfo=AMS)
    assert at("om half 3", first_pass).start.isoformat() == "2026-10-25T02:30:00+02:00"
    # Asked at the second 02:10 (winter time): the second 02:30 is still to come.
    second_pass = datetime(2026, 10, 25, 2, 10, fold=1, tzinfo=AMS)
    assert at("om half 3", second_pass).start.isoformat() == "2026-10-25T02:30:00+02:00"
    assert at("om 2 uur", second_pass).start.isoformat() == "2026-10-25T02:00:00+01:00"
    assert at("gisteravond om 23 uur", morning).start.isoformat() == "2026-10-24T23:00:00+02:00"
    # Ten real minutes before 02:05 winter time is 02:55 summer time.
    after = datetime(2026, 10, 25, 2, 5, fold=1, tzinfo=AMS)
    assert at("10 minuten geleden", after).start.isoformat() == "2026-10-25T02:55:00+02:00"


def test_naive_now_is_taken_as_amsterdam() -> None:
    result = at("gisteren om 22:00", datetime(2026, 11, 22, 14, 30))
    assert result.start.tzinfo is not None
    assert moment(result) == "2026-11-21 22:00"


def test_tijdstip_is_frozen() -> None:
    result = at("gisteren")
    with pytest.raises(AttributeError):
        result.precisie = "uur"  # type: ignore[misc]


@pytest.mark.parametrize(
    "text",
    [
        "elke avond",
        "iedere avond",
        "Elke avond rond 11 uur",
        "al weken",
        "al een paar weken",
        "al maanden",
        "al 3 weken",
        "sinds weken",
        "elk weekend",
        "ieder weekend weer",
        "het gebeurt elke zaterdag",
        "zaterdags",
        "op vrijdagavonden",
        "steeds weer",
        "telkens als ik langs loop",
        "dagelijks",
        "bijna elke nacht",
        "de container staat er nu al weken",
        "de lamp doet het al een week niet",
        "in de weekenden",
        "regelmatig 's avonds",
        "om de paar dagen",
    ],
)
def test_terugkerend(text: str) -> None:
    assert is_terugkerend(text)
    assert parse_tijdstip(text, NOW) is None


@pytest.mark.parametrize(
    "text",
    ["gisteravond", "om 11 uur", "vorige week", "het is nog steds kapot", "al het afval", "nu"],
)
def test_niet_terugkerend(text: str) -> None:
    assert not is_terugkerend(text)


def test_terugkerend_with_a_specific_day_still_parses() -> None:
    text = "al weken, maar gisteravond om 11 uur weer"
    assert is_terugkerend(text)
    assert moment(at(text)) == "2026-11-21 23:00"


@pytest.mark.parametrize(
    "text",
    [
        "weet ik niet",
        "Weet ik niet meer",
        "weet niet meer",
        "ik weet het niet",
        "geen idee",
        "Geen flauw idee!",
        "onbekend",
        "maakt niet uit",
        "sla over",
        "sla maar over",
        "overslaan",
        "skip",
        "kan ik me niet herinneren",
        "ben ik vergeten",
        "nee",
        "?",
    ],
)
def test_weet_niet(text: str) -> None:
    assert weet_niet(text)


@pytest.mark.parametrize("text", ["gisteravond", "rond 11 uur", "weet je wat, gisteren", "ja"])
def test_niet_weet_niet(text: str) -> None:
    assert not weet_niet(text)
