from .knowledge_translator import KnowledgeTranslator

__all__ = ['KnowledgeTranslator']
