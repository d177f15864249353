"""Errors of industry packs: a manifest that fails validation, data a pack needs but cannot find."""

from __future__ import annotations

from strata.core.errors import InvalidInput, NotFound


class InvalidPack(InvalidInput):
    """A pack manifest or pack file that fails validation; the message names the file and field."""

    code = "invalid_pack"


class PackDataMissing(NotFound):
    """Data a pack installs from (such as banking77) is not where the pack looked for it."""

    code = "pack_data_missing"


class PackNotInstalled(NotFound):
    """A pack command needs an installed pack (for example `strata packs eval`)."""

    code = "pack_not_installed"
