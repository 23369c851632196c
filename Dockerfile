# One image for web, worker and beat (docker compose picks the command).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# collectstatic needs production's storage settings, and production settings refuse weak
# keys: it gets throwaway strong ones, made in this step and kept nowhere (not in the image,
# not in its history), so no runtime check is weakened for the build.
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    PII_ENCRYPTION_KEYS="$(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
    PII_HASH_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(32))')" \
    GRIDGOV_ENV=production python manage.py collectstatic --noinput
RUN useradd --create-home gridgov && chown -R gridgov /app/var
USER gridgov
EXPOSE 8000
CMD ["gunicorn", "gridgov.wsgi", "--bind", "0.0.0.0:8000", "--workers", "2"]
