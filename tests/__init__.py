"""Tests for sroi."""
