"""What names a secret: the one vocabulary of credential words, and the names that hold one
in code, in config keys and in free text. Pure.

Two ways to read a name, because code and configuration name things differently:

- a code identifier names a secret when it *ends* with a credential word
  (``db_password``, ``API_KEY``, ``settings.secret_key``): ``token_expiry_text`` is not one;
- a configuration key (a compose ``environment:`` key, a Dockerfile ``ENV``/``ARG``) names
  a secret when a credential word is *anywhere* in it (``SECRET_KEY_BASE``,
  ``DBPASSWORD``), because deployment keys put qualifiers after the word.

Either way, a name ending in a suffix of :data:`NOT_SECRET_SUFFIXES` (``PASSWORD_FILE``,
``TOKEN_URL``, ``SECRET_NAME``) names something about a secret, not the secret.
"""

from __future__ import annotations

import re

# The words that name a credential, as regexes (``api[_-]?key``: api_key, api-key, apikey).
SECRET_WORDS: tuple[str, ...] = (
    "password", "passwd", "passphrase", "pwd", "secret", "secret[_-]?key", "token",
    "api[_-]?key", "access[_-]?key", "auth[_-]?token", "client[_-]?secret", "private[_-]?key",
    "signing[_-]?key", "encryption[_-]?key", "credentials?",
)
# A name ending in one of these is about a secret (where it is, how long it lives), not one.
NOT_SECRET_SUFFIXES: tuple[str, ...] = (
    "_url", "_uri", "_file", "_path", "_dir", "_env", "_var", "_name", "_field", "_header",
    "_type", "_id", "_length", "_len", "_ttl", r"_expir\w*", "_enabled", "_method", "_prefix",
    "_pattern", "_regex", "_min", "_max", "_rounds", "_hash", "_hasher", "_policy",
)
# Free text (a response body, a log line) also hides session values.
SESSION_WORDS: tuple[str, ...] = ("session(?:id)?", "sid", "cookie")

WORDS = "|".join(SECRET_WORDS)
# "pwd" is a word of its own in a key; inside one it is rarely a password (cwd, pwdx).
_ANYWHERE_WORDS = "|".join(w for w in SECRET_WORDS if w != "pwd") + r"|(?:^|[_.-])pwd(?:$|[_.-])"
_ENDS_WITH = re.compile(rf"(?i)(?:^|[_.-])(?:{WORDS})$")
_ANYWHERE = re.compile(rf"(?i)(?:{_ANYWHERE_WORDS})")
_NOT_SECRET = re.compile(rf"(?i)(?:{'|'.join(NOT_SECRET_SUFFIXES)})$")


def is_secret_name(name: str, anywhere: bool = False) -> bool:
    """Whether a code identifier (``anywhere=False``) or a configuration key
    (``anywhere=True``) names a credential."""
    name = name.rsplit(".", 1)[-1].strip()
    if _NOT_SECRET.search(name):
        return False
    return bool((_ANYWHERE if anywhere else _ENDS_WITH).search(name))


def words_pattern(extra: tuple[str, ...] = ()) -> str:
    """The credential words as one regex alternation, for patterns of ``name = value`` text."""
    return "|".join((*SECRET_WORDS, *extra))


# A name as text writes it, for patterns of ``name = value`` (the ``name`` group): letters,
# digits, ``_``, ``.`` and ``-``, never starting inside a longer name. Bounded, so that a
# long run of word characters (a base64 blob) costs linear time.
_NAME_START = r"(?<![\w.-])"


def name_ending_pattern() -> str:
    """A name that *ends* with a credential word after a separator (``aws_secret_access_key``,
    ``DJANGO_SECRET_KEY``, ``db.password``, ``api_key``): the code identifier reading of
    :func:`is_secret_name`, with no word boundary needed before the word."""
    return rf"{_NAME_START}(?P<name>(?:[\w.-]{{0,60}}[_.-])?(?:{WORDS}))"


def name_containing_pattern() -> str:
    """A name with a credential or session word anywhere (``secret_key_base``,
    ``clientSecret``, ``X-Auth-Token``, ``sessionid``): the configuration key reading of
    :func:`is_secret_name`; the caller confirms with :func:`is_text_secret_name`."""
    return (rf"{_NAME_START}(?P<name>[\w.-]{{0,60}}?(?:{words_pattern(SESSION_WORDS)})"
            r"[\w.-]{0,40})")


_SESSION_ALONE = re.compile(rf"(?i)(?:^|[_.-])(?:{'|'.join(SESSION_WORDS)})$")


def is_text_secret_name(name: str) -> bool:
    """Whether a key in free text (a JSON body, a header, a log line) names a secret or a
    session value: a credential word anywhere, or a name ending in a session word."""
    return is_secret_name(name, anywhere=True) or bool(_SESSION_ALONE.search(name))


# --- settings that switch verification off by their name ------------------------------------

# A word that turns a verification setting around: ``INSECURE_SKIP_TLS_VERIFY=True`` switches
# verification off, ``INSECURE_SKIP_TLS_VERIFY=False`` keeps it on. Matched as whole parts of
# a name split on ``_``, ``-``, ``.`` and camelCase humps (``skipTlsVerify``), so ``NOTE`` or
# ``NOTIFY`` never count as ``NO``.
NEGATING_PARTS: tuple[str, ...] = (
    "insecure", "skip", "no", "not", "disable", "disabled", "ignore", "ignored", "unverified",
    "dont", "noverify", "nocheck", "insecureskipverify", "allowinvalid", "allowselfsigned",
)
# Two-part negations (``ALLOW_INVALID_CERTS``, ``ALLOW_SELF_SIGNED``), joined before matching.
_PAIRS = (("allow", "invalid"), ("allow", "self"), ("allow", "unverified"), ("no", "check"))
_PART_SPLIT = re.compile(r"[_.\-\s]+|(?<=[a-z0-9])(?=[A-Z])")
TRUTHY_STRINGS = frozenset({"true", "1", "yes", "on", "y", "t", "enable", "enabled"})
FALSY_STRINGS = frozenset({"false", "0", "no", "off", "n", "f", "", "disable", "disabled"})


def name_parts(name: str) -> list[str]:
    """``REDIS_INSECURE_SKIP_TLS_VERIFY`` -> ``[redis, insecure, skip, tls, verify]``;
    ``skipTlsVerify`` -> ``[skip, tls, verify]``; the last dotted part only."""
    name = name.rsplit(".", 1)[-1]
    return [p.lower() for p in _PART_SPLIT.split(name) if p]


def negations(name: str) -> int:
    """How many negating words a setting name holds (``INSECURE_SKIP_TLS_VERIFY``: 2)."""
    parts = name_parts(name)
    count = 0
    index = 0
    while index < len(parts):
        pair = tuple(parts[index:index + 2])
        if pair in _PAIRS:
            count, index = count + 1, index + 2
            continue
        if parts[index] in NEGATING_PARTS:
            count += 1
        index += 1
    return count


def negates_verification(name: str) -> bool:
    """Whether a true value of the setting ``name`` means *less* verification
    (``INSECURE``, ``SKIP_VERIFY``, ``NO_VERIFY``, ``DISABLE_SSL``, ``IGNORE_CERTS``,
    ``ALLOW_INVALID_CERTS``). Words that say the same thing twice
    (``INSECURE_SKIP_TLS_VERIFY``) still negate once: any negating word turns the name."""
    return negations(name) > 0


def truth(value: object) -> bool | None:
    """What a setting's value or default means as a switch: ``True``/``"yes"``/``1`` true,
    ``False``/``"False"``/``0``/``""`` false, anything else (``None``: unset, so the
    library's own default; a path, a CA bundle, an expression) None: not a switch the rule
    can judge."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in TRUTHY_STRINGS:
            return True
        if lowered in FALSY_STRINGS:
            return False
    return None


def verification_off(name: str, value: object) -> bool | None:
    """Whether the setting ``name`` with ``value`` switches verification off: a falsy
    ``VERIFY_SSL``, a truthy ``INSECURE_SKIP_TLS_VERIFY``. None when the value is not a
    switch (a CA bundle path for ``verify``, an expression): the rule cannot tell."""
    meaning = truth(value)
    if meaning is None:
        return None
    return meaning if negates_verification(name) else not meaning


# --- constants that name a secret without holding one ------------------------------------

# Values protocols define (OAuth 2 grant and token types, token kinds): a constant holding
# one names a protocol field, not a credential. ("password" is not here: ``ADMIN_PASSWORD =
# "password"`` is a weak password; ``GRANT_TYPE_PASSWORD = "password"`` is caught by
# CONSTANT_QUALIFIERS.)
PROTOCOL_VALUES = frozenset({
    "access_token", "refresh_token", "id_token", "client_credentials", "authorization_code",
    "device_code", "implicit", "bearer", "token_type", "grant_type",
})
# Words that, as a part of a name, make it the name of a protocol or form constant: a
# plain word under such a name is a field or grant-type name (``GRANT_TYPE_PASSWORD``,
# ``FORM_FIELD_PASSWORD``, ``PARAM_TOKEN``), not a credential.
# (Not "cookie" or "session": ``COOKIE_SECRET = "changeme"`` is a weak secret.)
CONSTANT_QUALIFIERS = frozenset({"grant", "type", "kind", "field", "param", "parameter",
                                 "claim"})
# A URL path of lower-case words, numbers and route parameters (a random value after a
# slash is not one: base64 keys start with "/" too).
_SEGMENT = r"(?:[a-z][a-z0-9._~-]{0,30}|\d{1,6}|\{\w+\}|<[\w:]+>|:\w+)?"
_URL_PATH = re.compile(rf"(?:/{_SEGMENT})+")
_PLAIN_WORD = re.compile(r"[a-z][a-z_-]*")
_OAUTH_URN = "urn:ietf:params:oauth:"


_WORDS_ONLY = re.compile(r"[A-Za-z]+(?:[_-]?[A-Za-z]+)*")


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def echoes_name(name: str, value: str) -> bool:
    """Whether a value spells its own name or two or more consecutive words of it
    (``POSTGRES_ASTRONOMY_PASSWORD=astronomy_password``, ``DB_PASSWORD=db-password``): a
    placeholder written from the name, not a chosen credential. Pure."""
    value = value.strip()
    if not value or not _WORDS_ONLY.fullmatch(value):
        return False
    if _squash(value) == _squash(name.rsplit(".", 1)[-1]):
        return True
    said, parts = name_parts(value), name_parts(name)
    return len(said) >= 2 and any(parts[i:i + len(said)] == said
                                  for i in range(len(parts) - len(said) + 1))


def names_a_constant(name: str, value: str) -> bool:
    """Whether ``name = value`` holds a protocol or form constant rather than a credential:
    the value spells the name itself (``SECRET_KEY = "SECRET_KEY"``, ``REFRESH_TOKEN =
    "refresh_token"``), a protocol value (grant and token types, OAuth URNs), a URL path
    (``TOKEN = "/api/token"``), or a plain lower-case word under a name qualified as a grant
    type, field or parameter (``GRANT_TYPE_PASSWORD = "password"``). Pure."""
    name = name.rsplit(".", 1)[-1].strip()
    value = value.strip()
    if not value:
        return False
    if _squash(value) == _squash(name) or value.lower() in PROTOCOL_VALUES or \
            value.lower().startswith(_OAUTH_URN):
        return True
    if _URL_PATH.fullmatch(value):
        return True
    return bool(_PLAIN_WORD.fullmatch(value)) and bool(set(name_parts(name))
                                                        & CONSTANT_QUALIFIERS)
