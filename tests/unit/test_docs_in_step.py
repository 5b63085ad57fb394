"""README's configuration table and .env.example name every setting bot/config.py reads."""

from pathlib import Path

from bot.config import Config

ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_is_documented() -> None:
    readme = (ROOT / "README.md").read_text()
    example = (ROOT / ".env.example").read_text()
    names = [name.upper() for name in Config.model_fields]
    assert [n for n in names if f"`{n}`" not in readme] == []
    assert [n for n in names if f"{n}=" not in example] == []
