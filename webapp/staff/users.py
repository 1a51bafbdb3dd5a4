"""Staff accounts: roles, login with back-off per name and address, ending sessions.

Wrong passwords are counted per user name *and* client address (core/throttle.py),
the same for names that exist and names that do not: someone elsewhere guessing a
colleague's password slows down only themselves, and the answer (and the work: one
argon2 check) never tells whether a name exists.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from core.client_address import bucket
from core.throttle import Blocked, Key, Policy, Throttle, key
from webapp.cases.models import Attempts, StaffUser, utcnow
from webapp.staff import passwords

log = logging.getLogger(__name__)
MEDEWERKER, TRAINER, BEHEERDER = "medewerker", "trainer", "beheerder"
ROLES = (MEDEWERKER, TRAINER, BEHEERDER)
ROLE_LABELS = {
    MEDEWERKER: "medewerker (zaken)",
    TRAINER: "trainer (gesprekken en training)",
    BEHEERDER: "beheerder (accounts, alles)",
}
# Five tries per name and address, then one minute, doubling up to an hour; one try
# forgiven every quarter of an hour (a right password forgets them all).
LOGIN = Policy(
    free=5, base=timedelta(minutes=1), cap=timedelta(hours=1), leak=timedelta(minutes=15)
)
SCOPE = "inloggen"
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class UserError(ValueError):
    """A request about accounts that cannot be done; the message is Dutch, for staff."""


def roles_of(user: StaffUser) -> frozenset[str]:
    return frozenset(r for r in user.rollen.split(",") if r)


def has_role(user: StaffUser, role: str) -> bool:
    """A beheerder may do everything; others only what their roles say."""
    granted = roles_of(user)
    return role in granted or BEHEERDER in granted


def normalize_username(name: str) -> str:
    return name.strip().lower()


def _check_roles(roles: list[str] | tuple[str, ...] | set[str]) -> str:
    unknown = set(roles) - set(ROLES)
    if unknown or not roles:
        raise UserError("Kies een of meer rollen: " + ", ".join(ROLES) + ".")
    return ",".join(r for r in ROLES if r in roles)


@dataclass(frozen=True)
class Login:
    user: StaffUser | None
    locked_until: datetime | None = None  # this name from this address must wait


def _group(name: str) -> str:
    return key(SCOPE, normalize_username(name))


def login_key(username: str, address: str | None) -> Key:
    name = normalize_username(username)
    where = bucket(address) if address else "onbekend"
    return Key(key(SCOPE, name, where), LOGIN, groep=_group(name))


class Users:
    def __init__(self, sessions: sessionmaker) -> None:
        self.sessions = sessions
        self.throttle = Throttle(sessions, Attempts.__table__)

    async def create(self, username: str, password: str, roles: list[str]) -> StaffUser:
        name = normalize_username(username)
        if not USERNAME_RE.match(name):
            raise UserError(
                "Een gebruikersnaam heeft 2 tot 64 tekens: kleine letters, cijfers, punt, "
                "streepje of liggend streepje."
            )
        problem = passwords.policy_error(password, name)
        if problem:
            raise UserError(problem)
        user = StaffUser(
            gebruikersnaam=name,
            wachtwoord_hash=await passwords.hash_password(password),
            rollen=_check_roles(roles),
            actief=True,
            sessie_versie=1,
        )
        try:
            async with self.sessions() as session, session.begin():
                session.add(user)
        except IntegrityError:
            raise UserError(f"De gebruikersnaam '{name}' bestaat al.") from None
        return user

    async def get(self, user_id: int) -> StaffUser | None:
        async with self.sessions() as session:
            return await session.get(StaffUser, user_id)

    async def by_name(self, username: str) -> StaffUser | None:
        async with self.sessions() as session:
            query = sa.select(StaffUser).where(
                StaffUser.gebruikersnaam == normalize_username(username)
            )
            return (await session.execute(query)).scalar_one_or_none()

    async def all(self) -> list[StaffUser]:
        async with self.sessions() as session:
            query = sa.select(StaffUser).order_by(StaffUser.gebruikersnaam)
            return list((await session.execute(query)).scalars())

    async def count(self) -> int:
        async with self.sessions() as session:
            query = sa.select(sa.func.count()).select_from(StaffUser)
            return (await session.execute(query)).scalar_one()

    async def login(self, username: str, password: str, address: str | None) -> Login:
        """Check a password; unknown, disabled and existing names take the same path."""
        name = username[:64]
        attempt = login_key(name, address)
        try:
            await self.throttle.reserve([attempt])
        except Blocked as blocked:
            log.warning("staff login as %r waits until %s", name, blocked.until.isoformat())
            await passwords.verify_password(None, password)  # the same work as a check
            return Login(None, locked_until=blocked.until)
        user = await self.by_name(name)
        hashed = user.wachtwoord_hash if user is not None and user.actief else None
        if not await passwords.verify_password(hashed, password):
            return Login(None)
        assert user is not None  # verify_password is never right without a hash
        await self.throttle.clear(sleutels=[attempt.sleutel])
        await self._update(user.id, laatst_ingelogd_op=utcnow())
        return Login(await self.get(user.id))

    async def _update(self, user_id: int, **values: object) -> None:
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                sa.update(StaffUser).where(StaffUser.id == user_id).values(**values)
            )
            if not result.rowcount:
                raise UserError("Dit account bestaat niet.")

    async def end_sessions(self, user_id: int) -> None:
        """Every session cookie of this user stops working (logout, reset, disable)."""
        async with self.sessions() as session, session.begin():
            await session.execute(
                sa.update(StaffUser)
                .where(StaffUser.id == user_id)
                .values(sessie_versie=StaffUser.sessie_versie + 1)
            )

    async def set_roles(self, user_id: int, roles: list[str]) -> None:
        await self._update(user_id, rollen=_check_roles(roles))

    async def set_active(self, user_id: int, active: bool) -> None:
        await self._update(user_id, actief=active)
        if not active:
            await self.end_sessions(user_id)

    async def set_password(self, user_id: int, password: str) -> None:
        user = await self.get(user_id)
        if user is None:
            raise UserError("Dit account bestaat niet.")
        problem = passwords.policy_error(password, user.gebruikersnaam)
        if problem:
            raise UserError(problem)
        hashed = await passwords.hash_password(password)
        await self._update(user_id, wachtwoord_hash=hashed)
        await self.throttle.clear(groep=_group(user.gebruikersnaam))
        await self.end_sessions(user_id)

    async def unlock(self, user_id: int) -> None:
        """Lift the waits of this name from every address."""
        user = await self.get(user_id)
        if user is None:
            raise UserError("Dit account bestaat niet.")
        await self.throttle.clear(groep=_group(user.gebruikersnaam))

    async def blocked(self, users: list[StaffUser]) -> dict[int, datetime]:
        """Until when each user's name waits from some address (the accounts overview)."""
        groups = {_group(u.gebruikersnaam): u.id for u in users}
        found = await self.throttle.blocked_groups(list(groups))
        return {groups[g]: until for g, until in found.items()}

    async def other_active_beheerders(self, user_id: int) -> int:
        """Active beheerders besides this one: the last one may not lock itself out."""
        return sum(
            1 for u in await self.all() if u.id != user_id and u.actief and BEHEERDER in roles_of(u)
        )
