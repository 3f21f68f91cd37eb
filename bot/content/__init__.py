"""Content: typed, immutable models and the loader/validator that builds them from YAML."""

from .loader import load_content, validate_content
from .models import (
    Button,
    Combo,
    Content,
    Country,
    Entry,
    Flow,
    LocalePack,
    Source,
    Step,
    StepInput,
    SubstanceNames,
    Topics,
    Trigger,
)

__all__ = [
    "Button",
    "Combo",
    "Content",
    "Country",
    "Entry",
    "Flow",
    "LocalePack",
    "Source",
    "Step",
    "StepInput",
    "SubstanceNames",
    "Topics",
    "Trigger",
    "load_content",
    "validate_content",
]
