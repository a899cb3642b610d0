      *----------------------------------------------------------------*
      * ACCOUNT RECORD (TABLE ACCOUNTS). BALANCE IN CENTS PRECISION.
      *----------------------------------------------------------------*
       01  ACCOUNT-RECORD.
           05  ACCT-ID                 PIC 9(8).
           05  ACCT-OWNER              PIC X(30).
           05  ACCT-BALANCE            PIC S9(11)V99 COMP-3.
