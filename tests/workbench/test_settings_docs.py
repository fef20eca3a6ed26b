from pathlib import Path

from workbench.settings import Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_every_setting_is_documented_in_the_readme():
    missing = [f"PERCHE_{name.upper()}" for name in Settings.model_fields
               if f"`PERCHE_{name.upper()}`" not in README]
    assert missing == []


def test_every_setting_has_help_text():
    assert all(field.description for field in Settings.model_fields.values())


def test_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PERCHE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PERCHE_MAX_UPLOAD_MB", "7")
    for name in ("PERCHE_MODEL_CACHE", "PERCHE_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.data_dir == tmp_path and settings.max_upload_bytes == 7 * 1024 * 1024
    assert settings.resolved_database_url == f"sqlite:///{tmp_path.resolve()}/perche.db"
    assert settings.resolved_model_cache == tmp_path / "models"


def test_a_secret_key_is_generated_once(tmp_path):
    settings = Settings(data_dir=tmp_path)
    assert settings.signing_key() == settings.signing_key() and len(settings.signing_key()) > 40
