"""Background jobs of the records area: rendering a long transcript's PDF."""

from huey.contrib.djhuey import db_task

from .services import transcripts


@db_task(retries=2, retry_delay=30)
def render_transcript_pdf(transcript_id: int) -> bool:
    """Render and store one transcript's PDF; a second run finds it stored and does nothing."""
    return transcripts.render_and_store_pdf(transcript_id)
