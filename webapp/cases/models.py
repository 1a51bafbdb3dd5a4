"""SQLAlchemy 1.4 tables of the case system.

Contact details live in their own table, written only with the resident's consent,
so the case itself can be shown, exported or kept longer without personal data.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import declarative_base, relationship

from core import throttle
from core.clock import utcnow
from core.db import UtcDateTime

# Any: SQLAlchemy 1.4 has no type information for its declarative classes.
Base: Any = declarative_base()


class Counter(Base):
    """Last number handed out per case type and year: the gap-free sequence."""

    __tablename__ = "counters"
    type = sa.Column(sa.String(1), primary_key=True)  # "M" or "V"
    jaar = sa.Column(sa.Integer, primary_key=True)
    laatste = sa.Column(sa.Integer, nullable=False, default=0)


class Case(Base):
    __tablename__ = "cases"
    id = sa.Column(sa.Integer, primary_key=True)
    identificatie = sa.Column(sa.String(16), nullable=False, unique=True)
    type = sa.Column(sa.String(10), nullable=False, index=True)
    status = sa.Column(sa.String(20), nullable=False, index=True)
    categorie = sa.Column(sa.String(80), index=True)
    onderwerp = sa.Column(sa.String(200))
    omschrijving = sa.Column(sa.Text, nullable=False)
    straat = sa.Column(sa.String(120))
    huisnummer = sa.Column(sa.String(12))
    postcode = sa.Column(sa.String(7))
    plaats = sa.Column(sa.String(80))
    lat = sa.Column(sa.Float)
    lon = sa.Column(sa.Float)
    locatie_omschrijving = sa.Column(sa.String(300))
    tijdstip = sa.Column(UtcDateTime)
    kanaal = sa.Column(sa.String(10), nullable=False, index=True)
    melder = sa.Column(sa.String(120), index=True)  # channel identity, e.g. "telegram:12345"
    controlecode_hash = sa.Column(sa.String(200), nullable=False)
    idempotency_key = sa.Column(sa.String(100), unique=True)
    aangemaakt_op = sa.Column(UtcDateTime, nullable=False, default=utcnow, index=True)
    gewijzigd_op = sa.Column(UtcDateTime, nullable=False, default=utcnow)
    # The first reporter and everyone who reported it again (`reports`): kept here so the
    # console sorts by it without counting on every page.
    melders = sa.Column(sa.Integer, nullable=False, default=1, server_default="1", index=True)

    history = relationship(
        "StatusChange", order_by="StatusChange.id", back_populates="case", lazy="selectin"
    )
    contact = relationship("Contact", uselist=False, back_populates="case", lazy="selectin")
    attachments = relationship(
        "Attachment", order_by="Attachment.id", back_populates="case", lazy="noload"
    )
    reports = relationship("Report", order_by="Report.id", back_populates="case", lazy="noload")


class Report(Base):
    """Another resident reported the same melding and follows it (webapp/cases/nearby.py).

    Their own description and time stay apart from the first report; their `melder` gets
    the case's status messages like the first reporter's.
    """

    __tablename__ = "case_reports"
    id = sa.Column(sa.Integer, primary_key=True)
    case_id = sa.Column(sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True)
    omschrijving = sa.Column(sa.Text, nullable=False)
    tijdstip = sa.Column(UtcDateTime)
    kanaal = sa.Column(sa.String(10), nullable=False)
    melder = sa.Column(sa.String(120), index=True)
    idempotency_key = sa.Column(sa.String(100), unique=True)
    aangemaakt_op = sa.Column(UtcDateTime, nullable=False, default=utcnow)
    case = relationship("Case", back_populates="reports")


class StatusChange(Base):
    __tablename__ = "status_changes"
    id = sa.Column(sa.Integer, primary_key=True)
    case_id = sa.Column(sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True)
    status = sa.Column(sa.String(20), nullable=False)
    toelichting = sa.Column(sa.Text)  # note for the resident
    door = sa.Column(sa.String(120), nullable=False)  # who: "melder", a staff user, "api"
    op = sa.Column(UtcDateTime, nullable=False, default=utcnow)
    case = relationship("Case", back_populates="history")


class Contact(Base):
    __tablename__ = "contacts"
    id = sa.Column(sa.Integer, primary_key=True)
    case_id = sa.Column(sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, unique=True)
    naam = sa.Column(sa.String(120))
    email = sa.Column(sa.String(254))
    telefoon = sa.Column(sa.String(20))
    toestemming_op = sa.Column(UtcDateTime, nullable=False, default=utcnow)
    case = relationship("Case", back_populates="contact")


class Attachment(Base):
    __tablename__ = "attachments"
    id = sa.Column(sa.Integer, primary_key=True)
    case_id = sa.Column(sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True)
    bestandsnaam = sa.Column(sa.String(200), nullable=False)
    content_type = sa.Column(sa.String(40), nullable=False)
    grootte = sa.Column(sa.Integer, nullable=False)
    sha256 = sa.Column(sa.String(64), nullable=False)
    data = sa.Column(sa.LargeBinary, nullable=False)
    aangemaakt_op = sa.Column(UtcDateTime, nullable=False, default=utcnow)
    # The extra report it came with; None: the first report's (or staff's) photo.
    report_id = sa.Column(sa.ForeignKey("case_reports.id", ondelete="CASCADE"), index=True)
    case = relationship("Case", back_populates="attachments")


class Callback(Base):
    """A resident asked to be called back by a person (medewerker_spreken)."""

    __tablename__ = "callbacks"
    id = sa.Column(sa.Integer, primary_key=True)
    naam = sa.Column(sa.String(120), nullable=False)
    telefoon = sa.Column(sa.String(20), nullable=False)
    voorkeur = sa.Column(sa.String(200))  # best time to call, as the resident said it
    onderwerp = sa.Column(sa.String(300))
    kanaal = sa.Column(sa.String(10), nullable=False)
    melder = sa.Column(sa.String(120))
    status = sa.Column(sa.String(20), nullable=False, default="open")
    idempotency_key = sa.Column(sa.String(100), unique=True)
    aangemaakt_op = sa.Column(UtcDateTime, nullable=False, default=utcnow, index=True)


class ExternalCase(Base):
    """Balie's receipt for a case kept in an external system (Signalen, ZGW).

    The external system knows nothing of controlecodes or chat identities, so Balie
    keeps them here next to the external reference, under Balie's own identifier.
    """

    __tablename__ = "external_cases"
    id = sa.Column(sa.Integer, primary_key=True)
    identificatie = sa.Column(sa.String(16), nullable=False, unique=True)
    backend = sa.Column(sa.String(20), nullable=False)
    type = sa.Column(sa.String(10), nullable=False)
    external_id = sa.Column(sa.String(200), nullable=False)
    external_url = sa.Column(sa.String(500), index=True)
    categorie = sa.Column(sa.String(80))
    onderwerp = sa.Column(sa.String(200))
    melder = sa.Column(sa.String(120), index=True)
    controlecode_hash = sa.Column(sa.String(200), nullable=False)
    idempotency_key = sa.Column(sa.String(100), unique=True)
    aangemaakt_op = sa.Column(UtcDateTime, nullable=False, default=utcnow)
    # The external system's last status Balie recorded (status news, webapp/receipts.py):
    # its reference (a ZGW status URL, Signalen's state and time), when it was set and
    # Balie's status for it; a duplicate or an older one is not pushed again.
    laatste_status_ref = sa.Column(sa.String(500))
    laatste_status_op = sa.Column(UtcDateTime)
    laatste_status = sa.Column(sa.String(20))


class ExternalFollower(Base):
    """A resident who reported an open external melding again and follows it.

    Their description and photos went to the external system with the case; Balie keeps
    only who follows (their chat, for status news), by which channel and when.
    """

    __tablename__ = "external_followers"
    id = sa.Column(sa.Integer, primary_key=True)
    receipt_id = sa.Column(
        sa.ForeignKey("external_cases.id", ondelete="CASCADE"), nullable=False, index=True
    )
    melder = sa.Column(sa.String(120), index=True)
    kanaal = sa.Column(sa.String(10), nullable=False)
    tijdstip = sa.Column(UtcDateTime)
    idempotency_key = sa.Column(sa.String(100), unique=True)
    aangemaakt_op = sa.Column(UtcDateTime, nullable=False, default=utcnow)


class Upload(Base):
    """A photo a channel received before its case exists; attached when the case is made.

    Channels (widget, Telegram) store the bytes here and pass only the id in the
    message metadata, so photos never travel through the conversation tracker.
    """

    __tablename__ = "uploads"
    id = sa.Column(sa.String(36), primary_key=True)
    bestandsnaam = sa.Column(sa.String(200), nullable=False)
    content_type = sa.Column(sa.String(40), nullable=False)
    grootte = sa.Column(sa.Integer, nullable=False)
    data = sa.Column(sa.LargeBinary, nullable=False)
    aangemaakt_op = sa.Column(UtcDateTime, nullable=False, default=utcnow, index=True)


class ChatSession(Base):
    """A conversation in the website widget (webapp.chat).

    The browser holds a random token; only its SHA-256 is kept, so this table alone
    cannot be used to read along. Rasa knows the conversation by `sender` instead.
    """

    __tablename__ = "chat_sessions"
    id = sa.Column(sa.String(64), primary_key=True)  # sha256 hex of the browser's token
    sender = sa.Column(sa.String(40), nullable=False, unique=True)
    # Last sequence number handed out: the row lock on it orders concurrent appends.
    laatste_seq = sa.Column(sa.Integer, nullable=False, default=0)
    aangemaakt_op = sa.Column(UtcDateTime, nullable=False, default=utcnow)
    actief_op = sa.Column(UtcDateTime, nullable=False, default=utcnow, index=True)
    gewist_op = sa.Column(UtcDateTime)  # "gesprek wissen": late replies are dropped
    uploads_sinds = sa.Column(UtcDateTime)
    uploads = sa.Column(sa.Integer, nullable=False, default=0)


class ChatEntry(Base):
    """One message of a widget conversation, numbered per conversation (seq 1, 2, ...).

    Bot messages are kept until the retention purge, so a widget that was closed or
    offline gets them when it connects again; the transcript also survives a reload.
    """

    __tablename__ = "chat_entries"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "seq"),
        # The same message sent again (reconnect, retried callback) is stored once.
        sa.UniqueConstraint("session_id", "bericht_id"),
    )
    id = sa.Column(sa.Integer, primary_key=True)
    # Indexed by the (session_id, seq) constraint.
    session_id = sa.Column(sa.ForeignKey("chat_sessions.id", ondelete="CASCADE"), nullable=False)
    seq = sa.Column(sa.Integer, nullable=False)
    afzender = sa.Column(sa.String(10), nullable=False)  # "inwoner" or "balie"
    bericht = sa.Column(sa.Text, nullable=False)  # JSON: text, buttons, ...
    bericht_id = sa.Column(sa.String(64))
    aangemaakt_op = sa.Column(UtcDateTime, nullable=False, default=utcnow)


class StatusOptOut(Base):
    """A resident's chat that asked for no status messages (Telegram `/stop`).

    Keyed by channel identity (`melder`, e.g. "telegram:12345"); `/start` deletes the row.
    """

    __tablename__ = "status_opt_outs"
    melder = sa.Column(sa.String(120), primary_key=True)
    aangemaakt_op = sa.Column(UtcDateTime, nullable=False, default=utcnow)


class StaffUser(Base):
    """A staff member of the console (/staff): medewerker, trainer and/or beheerder.

    Passwords are argon2 hashes; wrong ones are counted per name and client address
    (core/throttle.py), never on the account, so nobody can lock a colleague out.
    `sessie_versie` is kept in every session cookie: raising it (logout, password
    reset, disabling) ends all of the user's sessions.
    """

    __tablename__ = "staff_users"
    id = sa.Column(sa.Integer, primary_key=True)
    gebruikersnaam = sa.Column(sa.String(64), nullable=False, unique=True)
    wachtwoord_hash = sa.Column(sa.String(200), nullable=False)
    rollen = sa.Column(sa.String(100), nullable=False)  # comma-separated
    actief = sa.Column(sa.Boolean, nullable=False, default=True, server_default=sa.true())
    sessie_versie = sa.Column(sa.Integer, nullable=False, default=1, server_default="1")
    aangemaakt_op = sa.Column(UtcDateTime, nullable=False, default=utcnow)
    laatst_ingelogd_op = sa.Column(UtcDateTime)


class InboxReview(Base):
    """A trainer's decision on an inbox message, keyed by its normalised text.

    The same question asked by many residents is reviewed once.
    """

    __tablename__ = "inbox_reviews"
    id = sa.Column(sa.Integer, primary_key=True)
    tekst_sleutel = sa.Column(sa.String(64), nullable=False, unique=True)  # sha256 hex
    besluit = sa.Column(sa.String(20), nullable=False)  # bevestigd, gecorrigeerd, verworpen
    intent = sa.Column(sa.String(120))
    door = sa.Column(sa.String(64), nullable=False)
    op = sa.Column(UtcDateTime, nullable=False, default=utcnow)


class StaffLogEntry(Base):
    """Audit log of the console: accounts, training, promotions (who, when, what)."""

    __tablename__ = "staff_log"
    id = sa.Column(sa.Integer, primary_key=True)
    op = sa.Column(UtcDateTime, nullable=False, default=utcnow, index=True)
    door = sa.Column(sa.String(64), nullable=False)
    actie = sa.Column(sa.String(40), nullable=False, index=True)
    onderwerp = sa.Column(sa.String(200))
    details = sa.Column(sa.Text)


class Attempts(Base):
    """Attempts per key (core/throttle.py): wrong staff passwords with their back-off, and
    new widget conversations per client address in a time window. (Wrong controlecodes
    are the action server's, in its own database: actions/guesser.py.)"""

    __table__ = throttle.table("attempts", Base.metadata)


class Feedback(Base):
    """A resident's thumbs up/down on one of Balie's answers (issue #16), without personal data.

    `gesprek` is the conversation's sender id (as Rasa knows it), `onderwerp` what was
    answered ("faq:afvalkalender", "zaak:melding"): unique together, so a resident is asked
    at most once per topic per conversation. The comment and the quoted messages are
    stored masked. The retention purge deletes rows with the conversation's term.
    """

    __tablename__ = "feedback"
    __table_args__ = (sa.UniqueConstraint("gesprek", "onderwerp"),)
    id = sa.Column(sa.Integer, primary_key=True)
    gesprek = sa.Column(sa.String(120), nullable=False)
    onderwerp = sa.Column(sa.String(120), nullable=False)
    goed = sa.Column(sa.Boolean, nullable=False)
    opmerking = sa.Column(sa.Text)  # masked
    vraag = sa.Column(sa.Text)  # the resident's message, masked
    antwoord = sa.Column(sa.Text)  # Balie's answer, masked
    aangemaakt_op = sa.Column(UtcDateTime, nullable=False, default=utcnow, index=True)


# The states of a live chat (webapp/live/): waiting in the queue, taken by a medewerker.
LIVE_OPEN = ("wachtend", "live")


class LiveChat(Base):
    """A widget conversation handed to a medewerker of the KCC (webapp/live/).

    At most one open (`wachtend` or `live`) per conversation, by a partial unique index.
    A medewerker takes one with a conditional UPDATE (`status = 'wachtend'`), so two never
    take the same resident. `einde` says how it ended: `teruggegeven` (to Balie),
    `gesloten` (with a note, masked), `geannuleerd` (the resident stopped waiting),
    `beeindigd` (the resident ended the chat). No message text is stored here: the
    conversation is the widget's log (chat_entries, encrypted).
    """

    __tablename__ = "live_chats"
    __table_args__ = (
        sa.Index(
            "uq_live_chats_open",
            "session_id",
            unique=True,
            sqlite_where=sa.text("status IN ('wachtend', 'live')"),
            postgresql_where=sa.text("status IN ('wachtend', 'live')"),
        ),
    )
    id = sa.Column(sa.Integer, primary_key=True)
    session_id = sa.Column(
        sa.ForeignKey("chat_sessions.id", ondelete="CASCADE"), nullable=False, index=True
    )
    status = sa.Column(sa.String(16), nullable=False, default="wachtend", index=True)
    aangemeld_op = sa.Column(UtcDateTime, nullable=False, default=utcnow)
    genomen_op = sa.Column(UtcDateTime)
    beeindigd_op = sa.Column(UtcDateTime)
    medewerker_id = sa.Column(sa.ForeignKey("staff_users.id", ondelete="SET NULL"))
    medewerker_naam = sa.Column(sa.String(40))  # the first name the resident sees
    # Where the medewerker took over: the conversation's seq before that (context shown).
    vanaf_seq = sa.Column(sa.Integer, nullable=False, default=0)
    einde = sa.Column(sa.String(16))
    notitie = sa.Column(sa.Text)  # masked


class LiveCase(Base):
    """A melding, verzoek or call-back a medewerker filed for the resident from a live
    chat: the case (its `identificatie`, or the call-back's number) links to the
    conversation. Goes with the live chat when retention purges the conversation."""

    __tablename__ = "live_chat_cases"
    id = sa.Column(sa.Integer, primary_key=True)
    live_chat_id = sa.Column(
        sa.ForeignKey("live_chats.id", ondelete="CASCADE"), nullable=False, index=True
    )
    soort = sa.Column(sa.String(12), nullable=False)  # melding, verzoek, terugbellen
    identificatie = sa.Column(sa.String(20), nullable=False, index=True)
    medewerker_naam = sa.Column(sa.String(40), nullable=False)
    gemaakt_op = sa.Column(UtcDateTime, nullable=False, default=utcnow)


class LiveMedewerker(Base):
    """A medewerker's availability for live chat: `beschikbaar` while the Live page is
    open and they said so (`gezien_op` is refreshed by the page's socket)."""

    __tablename__ = "live_medewerkers"
    staff_id = sa.Column(sa.ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True)
    voornaam = sa.Column(sa.String(40), nullable=False)
    beschikbaar = sa.Column(sa.Boolean, nullable=False, default=False)
    gezien_op = sa.Column(UtcDateTime, nullable=False, default=utcnow)
