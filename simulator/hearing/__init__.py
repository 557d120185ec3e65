"""Hearing the trainee: audio loading, the offline Whisper model, transcribers, number
readings judged from the audio, and voice-activity turn-taking at the microphone.

Heavy modules (torch, whisper) are imported lazily: ``import simulator.hearing`` is cheap.
"""
