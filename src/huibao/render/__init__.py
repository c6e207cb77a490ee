"""Render: outline → .docx/.png/.pdf files, knowing no campaign."""
