      * MINIMAL SQL COMMUNICATION AREA (THE DB2 PRECOMPILER SUPPLIES
      * THE REAL ONE).
       01  SQLCA.
           05  SQLCAID                 PIC X(8).
           05  SQLCABC                 PIC S9(9) COMP-5.
           05  SQLCODE                 PIC S9(9) COMP-5.
           05  SQLERRM.
               49  SQLERRML            PIC S9(4) COMP-5.
               49  SQLERRMC            PIC X(70).
           05  SQLSTATE                PIC X(5).
