"""The engines; importing this package registers them by name."""

from transcripts.engines import null, sphinx
from transcripts.engines.twilio_callback import TwilioTranscriber, from_twilio_callback

__all__ = ["TwilioTranscriber", "from_twilio_callback", "null", "sphinx"]
