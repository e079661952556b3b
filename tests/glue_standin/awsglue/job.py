class Job:
    def __init__(self, glue_context):
        self.glue_context = glue_context

    def init(self, job_name, args=None):
        self.job_name = job_name

    def commit(self):
        return None
