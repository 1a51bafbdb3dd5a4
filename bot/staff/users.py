"""Staff accounts: roles, login with lockout, ending sessions."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from bot.cases.models import StaffUser, utcnow
from bot.staff import passwords

log = logging.getLogger(__name__)
MEDEWERKER, TRAINER, BEHEERDER = "medewerker", "trainer", "beheerder"
ROLES = (MEDEWERKER, TRAINER, BEHEERDER)
ROLE_LABELS = {
    MEDEWERKER: "medewerker (zaken)",
    TRAINER: "trainer (gesprekken en training)",
    BEHEERDER: "beheerder (accounts, alles)",
}
MAX_FAILURES = 5
LOCK_TIME = timedelta(minutes=15)
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
    locked: bool = False


class Users:
    def __init__(self, sessions: sessionmaker) -> None:
        self.sessions = sessions

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
            mislukte_pogingen=0,
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

    async def login(self, username: str, password: str) -> Login:
        """Check a password; five wrong ones in a row lock the account for 15 minutes."""
        user = await self.by_name(username[:64])
        now = utcnow()
        if user is None or not user.actief:
            await passwords.verify_password(None, password)  # same time as a real check
            return Login(None)
        locked_until = user.geblokkeerd_tot
        if locked_until and now < locked_until:
            await passwords.verify_password(None, password)
            return Login(None, locked=True)
        if await passwords.verify_password(user.wachtwoord_hash, password):
            await self._update(
                user.id, mislukte_pogingen=0, geblokkeerd_tot=None, laatst_ingelogd_op=now
            )
            return Login(await self.get(user.id))
        async with self.sessions() as session, session.begin():
            # Counted in the database, so parallel guesses cannot slip past the limit.
            await session.execute(
                sa.update(StaffUser)
                .where(StaffUser.id == user.id)
                .values(mislukte_pogingen=StaffUser.mislukte_pogingen + 1)
            )
            failures = (
                await session.execute(
                    sa.select(StaffUser.mislukte_pogingen).where(StaffUser.id == user.id)
                )
            ).scalar_one()
            if failures >= MAX_FAILURES:
                log.warning(
                    "staff account %s locked after %d wrong passwords",
                    user.gebruikersnaam,
                    failures,
                )
                await session.execute(
                    sa.update(StaffUser)
                    .where(StaffUser.id == user.id)
                    .values(mislukte_pogingen=0, geblokkeerd_tot=now + LOCK_TIME)
                )
                return Login(None, locked=True)
        return Login(None)

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
        await self._update(
            user_id, wachtwoord_hash=hashed, mislukte_pogingen=0, geblokkeerd_tot=None
        )
        await self.end_sessions(user_id)

    async def unlock(self, user_id: int) -> None:
        await self._update(user_id, mislukte_pogingen=0, geblokkeerd_tot=None)

    async def other_active_beheerders(self, user_id: int) -> int:
        """Active beheerders besides this one: the last one may not lock itself out."""
        return sum(
            1 for u in await self.all() if u.id != user_id and u.actief and BEHEERDER in roles_of(u)
        )
