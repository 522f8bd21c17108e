"""What runs inside Rasa's own process besides Rasa: the launcher (`python -m rasa_runtime`), the
messenger channels (`channels/`), the start-up fixes to Rasa 3.6, Sanic 21.12 and jsonschema
(`fixes/`), and the guard that refuses to apply them to versions they were not written for
(`versions.py`). The NLU components that Rasa loads from `config.yml` live in `nlu/`."""
