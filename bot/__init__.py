"""An anonymous harm reduction chatbot: engine, content, matching, dialogue, storage and adapters."""

__version__ = "0.1.0"
