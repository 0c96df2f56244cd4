"""lambda-tutor: learn how AWS Lambda functions get invoked."""

__version__ = "0.1.0"
