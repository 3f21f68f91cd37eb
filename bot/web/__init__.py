"""The web chat: a mobile-first page and a JSON API on the same conversation service as Telegram."""

from .server import WebSettings, create_app, serve

__all__ = ["WebSettings", "create_app", "serve"]
