# One image for web, worker and beat (docker compose picks the command).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# Build-time values only: collectstatic needs production storage settings, not real secrets.
RUN GRIDGOV_ENV=production SECRET_KEY=build PII_ENCRYPTION_KEYS=build PII_HASH_KEY=build \
    python manage.py collectstatic --noinput \
    && useradd --create-home gridgov && chown -R gridgov /app/var
USER gridgov
EXPOSE 8000
CMD ["gunicorn", "gridgov.wsgi", "--bind", "0.0.0.0:8000", "--workers", "2"]
