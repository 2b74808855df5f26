"""Implementations of the core's ports on AWS services and external providers.

The only package of `tradewind` that imports boto3.
"""
