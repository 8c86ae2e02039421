"""Decoding and normalizing OTLP spans (OpenInference conventions) for the span bus."""
