"""When the gemeente's KCC (klantcontactcentrum) answers: live chat and call-backs.

The hours are `kcc: tijden:` in content/gemeente.yml, per weekday ("08:30-17:00"; a day
that is not listed is closed), in the gemeente's time zone. With `feestdagen: true` (the
default) the KCC is closed on Dutch public holidays (`feestdagen`, from the `holidays`
package). Pure Python: no I/O besides the content file.
"""

from __future__ import annotations

import functools
import re
from datetime import date, datetime, time, timedelta

import holidays

from core.clock import local
from core.content import kcc_settings
from core.dutch.tijdstip import MAANDEN, WEEKDAGEN

TIJDEN_RE = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*-\s*(\d{1,2})[:.](\d{2})\s*$")
# What the KCC's hours are when the content file says nothing.
STANDAARD = {dag: "08:30-17:00" for dag in WEEKDAGEN[:5]}
# The Case API route where a channel asks for a medewerker (webapp/live/api.py).
API_PATH = "/live"
# Telegram (webapp/live/telegram.py): the connector hands the web app a resident's message
# (the answer says whether a medewerker has the chat), or the resident stops waiting or
# ends the chat; the web app sends the live chat's messages to the connector's route.
MESSAGE_PATH = API_PATH + "/bericht"
STOP_PATH = API_PATH + "/stoppen"
TELEGRAM_RELAY_PATH = "/webhooks/telegram/live"
# ... and a waiting resident's new place (the connector edits the queue message), and
# "the medewerker types" (Telegram's typing indicator).
TELEGRAM_PLACE_PATH = TELEGRAM_RELAY_PATH + "/plaats"
TELEGRAM_TYPING_PATH = TELEGRAM_RELAY_PATH + "/typen"
# The button that stops waiting or ends the chat on Telegram; the connector handles it
# itself, so it never reaches Rasa.
STOP_PAYLOAD = "/live_stoppen"
# The payload of "Medewerker spreken": what Balie offers after a thumbs-down (widget
# relay and Telegram connector) and after two fallbacks in a row (domain.yml).
OFFER_PAYLOAD = "/medewerker_spreken"
# Button titles, like domain.yml's: stop waiting or end the chat (Telegram), and the offer.
END_BUTTON = {"title": "Chat stoppen", "payload": STOP_PAYLOAD}
OFFER_BUTTON = {"title": "Medewerker spreken", "payload": OFFER_PAYLOAD}
# Rasa's slot that says the conversation asked for a medewerker and joined the queue
# (actions/live.py); only then does the Telegram connector ask the web app about a message.
SLOT = "live_chat"
# Holidays of the `holidays` calendar (by their en_US names) on which the KCC is open.
OPEN_OP = frozenset({"Good Friday"})


@functools.lru_cache(maxsize=8)  # asked for every day looked at (volgende_periode)
def feestdagen(jaar: int) -> frozenset[date]:
    """The Dutch public holidays on which a gemeente's KCC is closed.

    The `holidays` package's calendar (Easter, Koningsdag moving off a Sunday,
    Bevrijdingsdag every fifth year), without Goede Vrijdag: most gemeenten are open
    on it."""
    kalender = holidays.country_holidays("NL", years=jaar, language="en_US")
    return frozenset(dag for dag, naam in kalender.items() if naam not in OPEN_OP)


def tijden() -> dict[int, tuple[time, time]]:
    """Opening hours per weekday (0 = Monday): (from, until)."""
    raw = kcc_settings().get("tijden")
    per_dag = raw if isinstance(raw, dict) else STANDAARD
    found: dict[int, tuple[time, time]] = {}
    for dag, waarde in per_dag.items():
        match = TIJDEN_RE.match(str(waarde))
        if str(dag) not in WEEKDAGEN or not match:
            raise ValueError(f"kcc tijden: {dag}: {waarde!r} is not like '08:30-17:00'")
        h1, m1, h2, m2 = (int(x) for x in match.groups())
        van = time(h1, m1)
        tot = time.max if (h2, m2) == (24, 0) else time(h2, m2)
        found[WEEKDAGEN.index(str(dag))] = (van, tot)
    return found


def _gesloten(dag: date) -> bool:
    return bool(kcc_settings().get("feestdagen", True)) and dag in feestdagen(dag.year)


def is_open(moment: datetime) -> bool:
    """Does the KCC answer at this moment?"""
    nu = local(moment)
    uren = tijden().get(nu.weekday())
    if uren is None or _gesloten(nu.date()):
        return False
    return uren[0] <= nu.time().replace(tzinfo=None) < uren[1]


def _klok(t: time) -> str:
    return "24.00" if t == time.max else f"{t.hour}.{t.minute:02d}"


def volgende_periode(moment: datetime) -> tuple[date, time, time] | None:
    """The KCC's current or next opening period: (day, from, until), local time."""
    nu = local(moment)
    uren = tijden()
    for extra in range(0, 15):
        dag = nu.date() + timedelta(days=extra)
        periode = uren.get(dag.weekday())
        if periode is None or _gesloten(dag):
            continue
        if extra == 0 and nu.time().replace(tzinfo=None) >= periode[1]:
            continue
        return dag, periode[0], periode[1]
    return None


def terugbel_moment(moment: datetime) -> str:
    """When a call-back comes, in words: 'vandaag vóór 17.00 uur', 'maandag 7 december
    tussen 8.30 en 17.00 uur'."""
    periode = volgende_periode(moment)
    if periode is None:
        return "zo snel mogelijk"
    dag, van, tot = periode
    vandaag = local(moment).date()
    if dag == vandaag and is_open(moment):
        return f"vandaag vóór {_klok(tot)} uur"
    if dag == vandaag:
        naam = "vandaag"
    elif dag == vandaag + timedelta(days=1):
        naam = "morgen"
    else:
        naam = f"{WEEKDAGEN[dag.weekday()]} {dag.day} {MAANDEN[dag.month - 1]}"
    return f"{naam} tussen {_klok(van)} en {_klok(tot)} uur"
