"""The registry's domain errors, each with a stable code the API and other services can rely on."""


class RegistryError(Exception):
    """Raised when a registry command cannot be carried out."""

    code: str = "registry_error"

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        # Field name -> problems, so a form can show every problem next to its field at once.
        self.fields: dict[str, list[str]] = {name: list(p) for name, p in (fields or {}).items()}

    def __str__(self) -> str:
        return self.message


class InvalidIdNumber(RegistryError):
    """Raised when a resident ID number is not a valid GB 11643-1999 number."""

    code = "invalid_id_number"

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message, fields)
        # Callers match on this key, so it is there even when raised with the message alone.
        self.fields.setdefault("id_number", [message])


class InvalidVeteranData(RegistryError):
    """Raised when a command carries data the veteran file cannot accept."""

    code = "invalid_input"


class VeteranNotFound(RegistryError):
    """Raised when no veteran file exists for the given veteran id."""

    code = "not_found"


class AlreadyRegistered(RegistryError):
    """Raised when a veteran file already exists for a resident ID number."""

    code = "already_registered"

    def __init__(self, existing_veteran_id: str):
        # The veteran id is an internal key, not personal data, so naming it is safe and
        # lets staff open the existing file instead of creating a duplicate.
        super().__init__(
            f"a file for this resident ID number already exists: {existing_veteran_id}",
            {"id_number": ["a file for this resident ID number already exists"]},
        )
        self.existing_veteran_id = existing_veteran_id
